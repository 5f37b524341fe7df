"""Questions: where each was asked, what was found, the votes on its answer, and which ones
others may see.

A question is shown to anyone but its asker (App Home, a digest's "Can you help?") only when
it was asked in a public channel or its asker shared it, and then only within the community it
was asked in (a Slack workspace, a Teams tenant). `unanswered` applies that rule in the query,
so a private question never leaves the database on a read path meant for others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa
from rapidfuzz import fuzz, process
from sqlmodel import Session, col, select

from bot import model
from bot.model import Finding, community_of
from bot.ports import NotAllowed, NotFound, UnansweredQuestion
from knowledge import tables as t
from knowledge.search.text import index_terms, strip_boilerplate

MAX_TEXT = 2_000
SAME_QUESTION = 90  # token_sort_ratio of two questions' sorted stems
INTRODUCED = "introduced"  # processed_event.platform of the once-only introduction markers


class QuestionStore:
    """Implements the core's QuestionLog."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._listeners: list[Callable[[Finding], None]] = []

    def on_recorded(self, listener: Callable[[Finding], None]) -> None:
        """Call `listener` with what was found for every question recorded (an answer given:
        for the server's metrics)."""
        self._listeners.append(listener)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def record_question(
        self,
        question: str,
        *,
        asker: model.Person,
        where: model.ConversationRef,
        finding: Finding,
        at: datetime,
    ) -> int:
        with self.session() as s:
            row = t.Question(
                text=question[:MAX_TEXT],
                asker_key=asker.key,
                platform=where.platform,
                workspace_id=where.workspace_id,
                channel_id=where.channel_id,
                public=where.is_public and not (where.is_direct or where.is_group),
                asked_at=at,
                confident=finding.confident,
                result_ids=[f"{r.kind}:{r.id}" for r in finding.results],
            )
            s.add(row)
            s.commit()
            assert row.id is not None
        for listener in self._listeners:
            listener(finding)
        return row.id

    def record_feedback(
        self, question_id: int, verdict: str, *, by: model.Person, at: datetime
    ) -> bool:
        """One row per (question, person): an insert, or an update of that person's own vote."""
        with self.session() as s:
            if s.get(t.Question, question_id) is None:
                return False
            vote = s.get(t.FeedbackVote, (question_id, by.key))
            if vote is None:
                vote = t.FeedbackVote(question_id=question_id, person_key=by.key, verdict="", at=at)
            vote.verdict, vote.at = verdict, at
            s.add(vote)
            try:
                s.commit()
            except sa.exc.IntegrityError:  # their other click won the race: this one updates it
                s.rollback()
                return self.record_feedback(question_id, verdict, by=by, at=at)
            return True

    def votes(self, question_id: int) -> dict[str, str]:
        """person key → verdict."""
        with self.session() as s:
            rows = s.exec(
                select(t.FeedbackVote.person_key, t.FeedbackVote.verdict).where(
                    t.FeedbackVote.question_id == question_id
                )
            ).all()
            return dict(rows)

    def share_question(self, question_id: int, *, by: model.Person, at: datetime) -> bool:
        with self.session() as s:
            row = s.get(t.Question, question_id)
            if row is None:
                raise NotFound(str(question_id))
            if row.asker_key != by.key:
                raise NotAllowed(str(question_id))
            if row.shared_at is not None:
                return False
            row.shared_at = at
            s.add(row)
            s.commit()
            return True

    def asked(self, question_id: int) -> tuple[str, str] | None:
        with self.session() as s:
            row = s.get(t.Question, question_id)
            return (row.text, row.asker_key) if row is not None else None

    def first_introduction(self, question_id: int, *, by: model.Person, at: datetime) -> bool:
        marker = t.ProcessedEvent(
            platform=INTRODUCED, event_id=f"{question_id}:{by.key}"[:200], received_at=at
        )
        with self.session() as s:
            s.add(marker)
            try:
                s.commit()
            except sa.exc.IntegrityError:
                return False
            return True


def unanswered(s: Session, start: datetime, end: datetime | None) -> tuple[UnansweredQuestion, ...]:
    """Questions nobody had an answer for in [start, end), that others may see, grouped per
    community (near-identical ones count as one), the most often asked first."""
    query = select(t.Question).where(
        t.Question.asked_at >= start,
        col(t.Question.confident).is_(False),
        sa.or_(col(t.Question.public).is_(True), col(t.Question.shared_at).is_not(None)),
    )
    if end is not None:
        query = query.where(t.Question.asked_at < end)
    by_community: dict[str, list[t.Question]] = {}
    for row in s.exec(query.order_by(col(t.Question.asked_at))):
        by_community.setdefault(community_of(row.platform, row.workspace_id), []).append(row)
    found = []
    for community, rows in by_community.items():
        for group in _same_questions(rows):
            found.append(
                UnansweredQuestion(
                    text=group[0].text,
                    asked_at=group[0].asked_at,
                    times=len(group),
                    community=community,
                )
            )
    return tuple(sorted(found, key=lambda q: (-q.times, q.asked_at)))


def _question_key(text: str) -> str:
    """What a question is about, as sorted stems: "Has anyone built a cemetery plot finder?"
    and "Cemetery plot finder anyone?" both give "cemeteri finder plot"."""
    terms = sorted(set(index_terms(strip_boilerplate(text))))
    return " ".join(terms) or " ".join(text.lower().split()).rstrip("?")


def _same_questions(rows: Sequence[t.Question]) -> list[list[t.Question]]:
    """Questions grouped when they are about the same thing. token_sort_ratio, not
    token_set_ratio: the latter scores a subset 100, so "bins?" would swallow "bins app for
    council tax?"; sorting still forgives a typo ("cemetary") or a word more or less."""
    groups: dict[str, list[t.Question]] = {}
    for row in rows:
        key = _question_key(row.text)
        if key not in groups:
            near = process.extractOne(
                key,
                list(groups),
                scorer=fuzz.token_sort_ratio,
                processor=None,
                score_cutoff=SAME_QUESTION,
            )
            key = near[0] if near else key
        groups.setdefault(key, []).append(row)
    return list(groups.values())
