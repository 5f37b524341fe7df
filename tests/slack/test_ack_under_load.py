"""Slack gives up on a request it has no answer to within 3 s, and retries an event it thinks we
missed. Acks must not wait behind the work already in hand: here every thread of the event
loop's default executor is busy (as it is when answers are slow: each search and each store call
runs there), and a request is timed.

Found by bench/soak.py: at 20 req/s on a busy 2-core machine, slash commands were acked in
p50 0.13 s (p95 0.6 s) while events waited p50 52 s (p95 102 s)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator

import pytest

from tests.slack.conftest import SlackHarness

BUSY_FOR = 2.0  # seconds each blocking job holds its thread


@pytest.fixture
async def executor_full(slack: SlackHarness) -> AsyncIterator[None]:
    """Every default-executor thread (ThreadPoolExecutor's default count) busy for BUSY_FOR s."""
    loop = asyncio.get_running_loop()
    workers = min(32, (os.cpu_count() or 1) + 4)
    jobs = [loop.run_in_executor(None, time.sleep, BUSY_FOR) for _ in range(workers)]
    await asyncio.sleep(0.05)
    yield
    await asyncio.gather(*jobs)


@pytest.mark.usefixtures("executor_full")
async def test_a_slash_command_is_acked_while_the_executor_is_full(slack: SlackHarness) -> None:
    start = time.monotonic()
    response, _ = await slack.slash("/hasanyone", "has anyone built a bins app?")
    assert response.status == 200
    assert time.monotonic() - start < BUSY_FOR / 2


@pytest.mark.usefixtures("executor_full")
async def test_an_event_is_acked_while_the_executor_is_full(slack: SlackHarness) -> None:
    start = time.monotonic()
    response = await slack.event(
        {
            "type": "app_mention",
            "user": "UALICE",
            "text": "<@UBOT> bins?",
            "ts": "1.000100",
            "channel": "C0GENERAL",
        }
    )
    assert response.status == 200
    assert time.monotonic() - start < BUSY_FOR / 2
