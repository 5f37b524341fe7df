"""Retry and pacing for outgoing Teams calls (the SDK retries neither)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import pytest

from adapters.teams.bot import ConversationGone, Pacer, retry_after, with_retry


@dataclass
class FakeResponse:
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)


class HttpError(Exception):
    def __init__(self, status: int, retry: str | None = None) -> None:
        super().__init__(status)
        self.response = FakeResponse(status, {"Retry-After": retry} if retry else {})


@pytest.mark.parametrize(
    ("error", "attempt", "expected"),
    [
        (HttpError(429, "2"), 0, 2.0),
        (HttpError(429, "600"), 0, 60.0),
        (HttpError(503), 0, 0.5),
        (HttpError(503), 3, 4.0),
        (HttpError(503), 10, 8.0),
        (HttpError(429, "soon"), 1, 1.0),
    ],
)
def test_retry_after_honours_the_header_and_backs_off_without_it(
    error: HttpError, attempt: int, expected: float
) -> None:
    assert retry_after(error, attempt) == expected


async def test_429_then_success_is_one_delivery(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def no_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", no_sleep)
    outcomes: list[Exception | None] = [HttpError(429, "3"), HttpError(503), None]
    delivered: list[int] = []

    async def send() -> str:
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome
        delivered.append(1)
        return "ok"

    assert await with_retry(send, what="test") == "ok"
    assert delivered == [1] and slept == [3.0, 1.0]


async def test_gone_and_other_errors_are_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    async def gone() -> None:
        calls.append(1)
        raise HttpError(403)

    with pytest.raises(ConversationGone):
        await with_retry(gone, what="test")

    async def broken() -> None:
        calls.append(2)
        raise HttpError(400)

    with pytest.raises(HttpError):
        await with_retry(broken, what="test")
    assert calls == [1, 2]


async def test_a_storm_gives_up_after_the_last_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_sleep(seconds: float) -> None:
        return None

    monkeypatch.setattr(asyncio, "sleep", no_sleep)
    attempts: list[int] = []

    async def always_throttled() -> None:
        attempts.append(1)
        raise HttpError(429, "1")

    with pytest.raises(HttpError):
        await with_retry(always_throttled, what="test")
    assert len(attempts) == 5


async def test_the_pacer_spaces_one_conversation_but_not_others() -> None:
    pacer = Pacer(gap=0.1)
    stamps: dict[str, list[float]] = {"a": [], "b": []}

    async def send(key: str) -> None:
        stamps[key].append(time.monotonic())

    await asyncio.gather(
        *(pacer.run("a", lambda: send("a")) for _ in range(3)),
        *(pacer.run("b", lambda: send("b")) for _ in range(3)),
    )
    gaps = [y - x for x, y in zip(stamps["a"], stamps["a"][1:], strict=False)]
    assert all(gap >= 0.095 for gap in gaps)
    assert stamps["b"][0] - stamps["a"][0] < 0.05  # another conversation is not held up
