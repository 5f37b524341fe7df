"""Issue 10, the property: whatever Slack does to the posts (5xx before or after the message
landed, dropped connections, stalls past the client's timeout, 429s), three `hasanyone digest
run` processes racing over 50 channels leave every channel exactly one digest."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FixedClock
from bot.model import ConversationRef
from knowledge.subscriptions import SubscriptionStore
from tests.conftest import make_app
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_faults import random_plan
from tests.jobs.test_digest_processes import digest_run

LONDON = ZoneInfo("Europe/London")
MONDAY = datetime(2025, 3, 10, 9, 5, tzinfo=LONDON)
TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"
CHANNELS = [f"C{n:04d}" for n in range(50)]
ROUNDS = 6  # sweeps; a fault leaves its run for the next one


async def sweep(env: dict[str, str], at: datetime) -> str:
    process = await digest_run(env, at)
    out, err = await asyncio.wait_for(process.communicate(), 240)
    assert process.returncode == 0, err.decode()[-2000:]
    assert b"Traceback" not in err, err.decode()[-2000:]
    return out.decode()


@pytest.mark.slow
@pytest.mark.parametrize("seed", [7])
async def test_every_channel_gets_exactly_one_digest_whatever_the_faults(
    database_url: str, seed: int
) -> None:
    app = make_app(database_url, FixedClock(MONDAY), demo=False)
    store = SubscriptionStore(app.engine)
    for channel in CHANNELS:
        store.subscribe(
            ConversationRef("slack", channel, "T0001"), by="test", now=MONDAY - timedelta(days=30)
        )
    app.engine.dispose()
    async with FakeSlack() as fake:
        fake.fault_plan(
            "chat.postMessage", random_plan(seed, p_ok=0.55), stall_seconds=1.5, retry_after=1
        )
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": "0123456789abcdef0123",
            "SLACK_API_URL": fake.api_url,
            "SLACK_TIMEOUT": "1",
            "HASANYONE_TEAMS_ENABLED": "false",
            "HASANYONE_LOG_LEVEL": "ERROR",
            "HASANYONE_DEMO_DATA": "false",
        }
        for n in range(ROUNDS):
            at = MONDAY + timedelta(minutes=n)
            await asyncio.gather(*(sweep(env, at) for _ in range(3)))
            if all(fake.messages.get(c) for c in CHANNELS):
                break
        landed = Counter({c: len(fake.messages.get(c, [])) for c in CHANNELS})
        faults = Counter(o.fault for o in fake.outcomes_of("chat.postMessage"))
    injected = sum(n for fault, n in faults.items() if fault != "ok")
    assert injected >= 10, f"the plan injected too few faults: {dict(faults)}"
    doubled = {c: n for c, n in landed.items() if n > 1}
    missing = [c for c, n in landed.items() if n == 0]
    assert not doubled, f"posted twice: {doubled} (faults {dict(faults)})"
    assert not missing, f"never posted after {ROUNDS} sweeps: {missing} (faults {dict(faults)})"
