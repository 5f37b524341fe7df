"""What the core and its stores are, once built: adapters/bootstrap.py builds it."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from adapters.settings import Settings
from bot.commands import Services
from bot.dispatch import Bot
from bot.ports import Clock
from knowledge.channels import ChannelStore
from knowledge.conversations import ConversationStore
from knowledge.finder import IndexedFinder
from knowledge.outbox import OutboxStore
from knowledge.people import PeopleStore
from knowledge.questions import QuestionStore
from knowledge.repository import Repository
from knowledge.subscriptions import SubscriptionStore


@dataclass
class App:
    settings: Settings
    engine: sa.Engine
    clock: Clock
    repo: Repository
    finder: IndexedFinder
    channels: ChannelStore
    questions: QuestionStore
    people: PeopleStore
    outbox: OutboxStore
    subscriptions: SubscriptionStore
    services: Services
    bot: Bot
    conversations: ConversationStore  # Teams conversation references, for posting later
    locks: sa.Engine  # where PostgreSQL advisory locks are taken (the leader, migrations)

    def close(self) -> None:
        """Stop the embedding worker and return every database connection."""
        worker = self.finder.worker
        if worker is not None:
            worker.stop()
        self.engine.dispose()
        if self.locks is not self.engine:
            self.locks.dispose()
