"""Weekly digests at scale: compose and deliver 1,200 digests in one sweep, against rate-limited
fake Slack and Teams services on 127.0.0.1.

    .venv/bin/python bench/digest.py [--db PATH] [--slack 1000] [--teams 200]
                                     [--projects 10000] [--weeknotes 100000]

What it does, in order:

1. **Register.** Without --db, builds a synthetic register (10k projects + 100k weeknotes by
   default) in a temporary SQLite file with `hasanyone import`, as bench/slack_load.py does.
   With --db PATH: builds it there if PATH does not exist; otherwise reuses it. A reused
   register is *copied* (sqlite3 backup) to a temporary working file and only the copy is
   changed, so the source stays clean for other benches and every run starts the same
   (--in-place changes PATH itself). The app upgrades the copy's schema on start.
2. **Activity in the measured period.** The digest period is the week before `--monday` 09:00
   Europe/London. Directly through SQLAlchemy on the working copy: every project's and
   weeknote's `created_at` is first moved 60 days before that (an import stamps them all with
   the import time, which would put the whole register in one week), then `--new-projects`
   (200) projects and `--new-weeknotes` (2,000) weeknotes get a `created_at` inside the period
   (the weeknotes also a `week` to match: a digest leaves out notes about long-past weeks),
   `--stage-changes` (100) stage_change rows are added inside it, and `--questions` (150)
   unanswered questions (`confident=false`; a third of them asked again, some with a typo) are
   logged inside it. Earlier digest subscriptions, runs and Teams conversation references are
   deleted (working copy only).
3. **Subscriptions.** `--slack` Slack channels and `--teams` Teams conversations are subscribed
   with SubscriptionStore.subscribe, with their filters and post_when_quiet. The mix: 40% no filter, 40% one of 10 service areas,
   20% one of 5 organisations; 20% post_when_quiet=false; schedules Monday 09:00 London (55%),
   Monday 08:30 London (15%), Monday 09:00 Dublin (10%) and 10:00 Paris (10%) (both the same
   instant as 09:00 London), and 10% not due at 09:05 (Monday 09:30, Tuesday 09:00). Each Teams
   conversation gets a stored conversation reference made exactly as TeamsBot._remember makes
   it (TurnContext.get_conversation_reference(activity).serialize()), pointing at the fake
   connector's serviceUrl.
4. **Fakes, in a child process** (so the CPU figures below are the bot's own): FakeSlack and
   FakeConnector from tests/fakes, subclassed here to enforce per-channel rate limits as the
   platforms do: Slack chat.postMessage at most 1 a second per channel (else HTTP 429,
   Retry-After: 1; --slack-workspace-per-minute adds Slack's workspace-wide cap, off by
   default), Teams at most 7 operations a second and 8 per 2 seconds per conversation (else
   429, Retry-After: 1).
5. **One sweep**: jobs.digests.run_due at `--monday` 09:05 Europe/London, with the posters built
   by adapters.bootstrap (the Runtime's digest job: SlackPoster on slack_sdk's AsyncWebClient; TeamsPoster on
   TeamsEndpoint, in local mode: no app id, so no tokens). jobs.digests.load_activity (once
   per period, in a worker thread) and bot.digest.digest_for (once per channel, as jobs.digests
   calls it) are wrapped to time every call (wall, and CPU via time.thread_time).
6. **A compose-only pass** without the sweep's sharing, over `--compose-sample` due
   subscriptions spread over the mix: each loads its period itself, the worst case.

It prints the command line, then: compose time (wall and CPU; calls, distinct digests), delivery
time, total CPU (getrusage), peak memory (ru_maxrss), posts / 429s / failures from the fakes'
own records, and whether every due channel got exactly one post and no other channel any.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import multiprocessing as mp
import random
import resource
import shlex
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiohttp import web  # noqa: E402

from bot.model import DigestFilter  # noqa: E402
from tests.fakes.bot_connector import FakeConnector, _error, _Route  # noqa: E402
from tests.fakes.slack_api import FakeSlack, _failure_response, _read_params  # noqa: E402

LONDON = ZoneInfo("Europe/London")
TOKEN = "xoxb-bench-0000000000-0000000000-benchbenchbenchbenchbe"
TENANT = "72f988bf-0000-4000-8000-0000000bench"
BOT_ID = "28:bench-hasanyone"
TEAMS_WRITES = frozenset({"send", "reply", "update", "delete", "create_conversation"})
# (day, time, timezone, share): due at Monday 09:05 London unless marked otherwise
SCHEDULES = [
    ("mon", "09:00", "Europe/London", 55),
    ("mon", "08:30", "Europe/London", 15),
    ("mon", "09:00", "Europe/Dublin", 10),
    ("mon", "10:00", "Europe/Paris", 10),
    ("mon", "09:30", "Europe/London", 5),  # not due yet at 09:05; last week's is outside catch-up
    ("tue", "09:00", "Europe/London", 5),  # not due
]


# --- the fakes, rate-limited as the platforms are ---------------------------------------------


class RateLimitedSlack(FakeSlack):
    """FakeSlack whose chat.postMessage allows 1 message a second per channel (Slack: "1 message
    per second to a specific channel", short bursts aside) and, optionally, N a minute per
    workspace ("several hundred messages per minute"); beyond either it answers HTTP 429
    `ratelimited` with Retry-After (1 s for a channel; until the minute's window frees a slot
    for the workspace), as Slack does."""

    def __init__(self, *, per_channel_gap: float = 1.0, workspace_per_minute: int = 0) -> None:
        super().__init__()
        self.gap = per_channel_gap
        self.workspace_per_minute = workspace_per_minute
        self.last_post: dict[str, float] = {}
        self.recent: deque[float] = deque()
        self.limited: Counter[str] = Counter()  # channel -> 429s
        self.limited_why: Counter[str] = Counter()

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["method"] == "chat.postMessage":
            params = await _read_params(request)
            channel = str(params.get("channel", ""))
            now = time.monotonic()
            why = None
            if now - self.last_post.get(channel, float("-inf")) < self.gap:
                why = "channel"
            elif self.workspace_per_minute:
                while self.recent and now - self.recent[0] >= 60:
                    self.recent.popleft()
                if len(self.recent) >= self.workspace_per_minute:
                    why = "workspace"
            if why is not None:
                self.limited[channel] += 1
                self.limited_why[why] += 1
                wait = 1 if why == "channel" else max(1, math.ceil(60 - (now - self.recent[0])))
                await self._record("chat.postMessage (429)", params, request)
                return web.json_response(
                    {"ok": False, "error": "ratelimited"},
                    status=429,
                    headers={"Retry-After": str(wait)},
                )
            self.last_post[channel] = now
            self.recent.append(now)
            # as FakeSlack._handle_api, which cannot read the body a second time
            await self._record("chat.postMessage", params, request)
            failure = self._take_failure("chat.postMessage")
            if failure is not None:
                return _failure_response(failure, json_body=True)
            return web.json_response(self._answer("chat.postMessage", params, request))
        return await super()._handle_api(request)


class RateLimitedConnector(FakeConnector):
    """FakeConnector that answers 429 (Retry-After: 1) past 7 operations in a second or 8 in two
    seconds on one conversation (Teams' per-bot, per-thread limits)."""

    def __init__(self) -> None:
        super().__init__()
        self.ops: dict[str, deque[float]] = defaultdict(deque)
        self.limited: Counter[str] = Counter()

    def _answer(self, route: _Route, body: Any) -> tuple[int, Any, dict[str, str]]:
        cid = route.conversation_id
        if route.kind in TEAMS_WRITES and cid:  # called under the fake's lock
            now = time.monotonic()
            ops = self.ops[cid]
            while ops and now - ops[0] >= 2.0:
                ops.popleft()
            if len(ops) >= 8 or sum(1 for at in ops if now - at < 1.0) >= 7:
                self.limited[cid] += 1
                return 429, _error("TooManyRequests", "Too many requests."), {"Retry-After": "1"}
            ops.append(now)
        return super()._answer(route, body)


def serve_fakes(conn: Any, workspace_per_minute: int) -> None:
    """The child process: both fakes on loopback until told to stop; reports on request."""
    asyncio.run(_serve_fakes(conn, workspace_per_minute))


async def _serve_fakes(conn: Any, workspace_per_minute: int) -> None:
    loop = asyncio.get_running_loop()
    slack = RateLimitedSlack(workspace_per_minute=workspace_per_minute)
    async with slack, RateLimitedConnector() as connector:
        conn.send({"slack_api": slack.api_url, "service_url": connector.service_url})
        while True:
            message = await loop.run_in_executor(None, conn.recv)
            if message == "report":
                conn.send(_fakes_report(slack, connector))
            else:
                break


def _fakes_report(slack: RateLimitedSlack, connector: RateLimitedConnector) -> dict[str, Any]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    posts = slack.calls_to("chat.postMessage")
    sizes = [len(json.dumps(c.params.get("blocks") or c.params.get("text") or "")) for c in posts]
    tagged = sum(
        1
        for msgs in slack.messages.values()
        for m in msgs
        if (m.get("metadata") or {}).get("event_type") == "hasanyone_digest"
    )
    with connector._lock:
        calls = list(connector.calls)
    teams_ok: Counter[str] = Counter()
    teams_status: Counter[int] = Counter()
    teams_sizes = []
    for c in calls:
        if c.kind in ("send", "reply"):
            teams_status[c.status] += 1
            if c.status < 300:
                teams_ok[c.conversation_id or ""] += 1
                teams_sizes.append(len(json.dumps(c.activity)))
    return {
        "slack_posts": {ch: len(msgs) for ch, msgs in slack.messages.items()},
        "slack_calls": Counter(c.method for c in slack.calls),
        "slack_429": sum(slack.limited.values()),
        "slack_429_why": dict(slack.limited_why),
        "slack_sizes": sizes,
        "slack_tagged": tagged,
        "slack_first_last": (posts[0].at, posts[-1].at) if posts else None,
        "teams_posts": dict(teams_ok),
        "teams_status": dict(teams_status),
        "teams_429": sum(connector.limited.values()),
        "teams_calls": Counter(c.kind for c in calls),
        "teams_sizes": teams_sizes,
        "cpu": usage.ru_utime + usage.ru_stime,
        "maxrss_mb": usage.ru_maxrss / 1024,
    }


# --- the register -------------------------------------------------------------------------------


def working_copy(args: argparse.Namespace) -> tuple[Path, Path | None]:
    """The SQLite file this run changes, and a temporary directory to remove afterwards."""
    from bench.slack_load import build_register

    if args.db is None:
        tmp = Path(tempfile.mkdtemp(prefix="bench-digest-"))
        db = tmp / "register.db"
        build_register(db, args.projects, args.weeknotes, args.seed)
        return db, tmp
    if not args.db.exists():
        args.db.parent.mkdir(parents=True, exist_ok=True)
        build_register(args.db, args.projects, args.weeknotes, args.seed)
    if args.in_place:
        return args.db, None
    tmp = Path(tempfile.mkdtemp(prefix="bench-digest-"))
    db = tmp / "register.db"
    started = time.perf_counter()
    with sqlite3.connect(f"file:{args.db}?mode=ro", uri=True) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    print(f"register: reusing {args.db} (copied in {time.perf_counter() - started:.1f} s)")
    return db, tmp


def seed_period(
    engine: Any, args: argparse.Namespace, start: datetime, end: datetime
) -> dict[str, int]:
    """Put a known amount of activity inside [start, end): see the module docstring, step 2."""
    import sqlalchemy as sa
    from sqlmodel import col

    from bench.search import make_questions, typo
    from knowledge import tables as t

    rng = random.Random(args.seed + 1)
    old = start - timedelta(days=60)
    span = (end - start).total_seconds()

    def monday_of(at: datetime) -> date:
        day = at.astimezone(LONDON).date()
        return day - timedelta(days=day.weekday())

    def inside() -> datetime:
        return start + timedelta(seconds=rng.uniform(0, span - 1))

    with engine.begin() as c:
        c.execute(sa.delete(t.DigestRun))
        c.execute(sa.delete(t.DigestSubscription))
        c.execute(
            sa.delete(t.ConversationReference).where(
                col(t.ConversationReference.platform) == "teams"
            )
        )
        c.execute(sa.update(t.Project).values(created_at=old))
        c.execute(sa.update(t.Weeknote).values(created_at=old))
        c.execute(
            sa.delete(t.StageChange).where(col(t.StageChange.at) >= start - timedelta(days=7))
        )
        c.execute(
            sa.delete(t.Question).where(col(t.Question.asked_at) >= start - timedelta(days=7))
        )
        project_ids = sorted(
            c.execute(
                sa.select(col(t.Project.id)).where(col(t.Project.deleted_at).is_(None))
            ).scalars()
        )
        note_ids = sorted(
            c.execute(
                sa.select(col(t.Weeknote.id)).where(
                    col(t.Weeknote.deleted_at).is_(None), col(t.Weeknote.internal).is_(False)
                )
            ).scalars()
        )
        new_projects = rng.sample(project_ids, min(args.new_projects, len(project_ids)))
        new_notes = rng.sample(note_ids, min(args.new_weeknotes, len(note_ids)))
        stmt = (
            sa.update(t.Project)
            .where(col(t.Project.id) == sa.bindparam("pid"))
            .values(created_at=sa.bindparam("at"))
        )
        c.execute(stmt, [{"pid": p, "at": inside()} for p in new_projects])
        stmt = (
            sa.update(t.Weeknote)
            .where(col(t.Weeknote.id) == sa.bindparam("nid"))
            .values(created_at=sa.bindparam("at"), week=sa.bindparam("wk"))
        )
        posted = [(n, inside()) for n in new_notes]  # each about the week it was posted in
        c.execute(stmt, [{"nid": n, "at": at, "wk": monday_of(at)} for n, at in posted])
        stages = ["discovery", "alpha", "beta", "live"]
        changes = []
        for pid in rng.sample(project_ids, min(args.stage_changes, len(project_ids))):
            i = rng.randrange(3)
            changes.append(
                {
                    "project_id": pid,
                    "from_stage": stages[i],
                    "to_stage": stages[i + 1],
                    "at": inside(),
                }
            )
        if changes:
            c.execute(sa.insert(t.StageChange), changes)
        distinct = make_questions(rng, max(1, args.questions * 2 // 3))
        texts = list(distinct)
        while len(texts) < args.questions:  # asked again, a third of those with a typo
            q = rng.choice(distinct)
            texts.append(typo(rng, q) if rng.random() < 0.33 else q)
        rows = [
            {
                "text": q,
                "asker_key": f"slack:T0001:U{rng.randrange(500):04d}",
                "platform": "slack",
                "channel_id": "C0BENCH",
                "asked_at": inside(),
                "confident": False,
                "result_ids": [],
            }
            for q in texts[: args.questions]
        ]
        if rows:
            c.execute(sa.insert(t.Question), rows)
    return {
        "new_projects": len(new_projects),
        "new_weeknotes": len(new_notes),
        "stage_changes": len(changes),
        "questions": len(rows),
    }


def subscribe_all(
    app: Any, args: argparse.Namespace, service_url: str, created: datetime
) -> list[Any]:
    """Slack channels and Teams conversations, with references, schedules and filters."""
    import sqlalchemy as sa
    from botbuilder.core import TurnContext
    from botbuilder.schema import Activity
    from sqlmodel import col

    from adapters.teams.incoming import PLATFORM, conversation_of
    from bot.model import ConversationRef
    from knowledge import tables as t
    from knowledge.conversations import ConversationStore
    from knowledge.subscriptions import SubscriptionStore

    rng = random.Random(args.seed + 2)
    with app.engine.connect() as c:
        areas = [
            a
            for (a,) in c.execute(
                sa.select(col(t.Project.service_area))
                .group_by(col(t.Project.service_area))
                .order_by(sa.func.count().desc())
                .limit(10)
            )
        ]
        orgs = [
            o
            for (o,) in c.execute(
                sa.select(col(t.Project.organisation_id))
                .group_by(col(t.Project.organisation_id))
                .order_by(sa.func.count().desc())
                .limit(5)
            )
        ]
    store = SubscriptionStore(app.engine)
    conversations = ConversationStore(app.engine)
    schedules = [s[:3] for s in SCHEDULES for _ in range(s[3])]
    subs = []
    for i in range(args.slack + args.teams):
        platform = "slack" if i < args.slack else "teams"
        day, at, tz = schedules[i * 37 % len(schedules)]  # spread evenly, deterministic
        if platform == "slack":
            channel, workspace = f"C{i:08d}", "T0001"
        else:
            n = i - args.slack
            kind = "channel" if n % 4 else "groupChat"
            suffix = "@thread.tacv2" if kind == "channel" else "@thread.v2"
            channel = f"19:bench{n:05d}{suffix}"
            activity = Activity().deserialize(
                {
                    "type": "message",
                    "id": f"m{n}",
                    "channelId": "msteams",
                    "serviceUrl": service_url,
                    "from": {"id": f"29:user{n}", "name": "User", "aadObjectId": f"aad-{n}"},
                    "conversation": {
                        "id": channel,
                        "conversationType": kind,
                        "tenantId": TENANT,
                        "isGroup": True,
                    },
                    "recipient": {"id": BOT_ID, "name": "hasanyone"},
                    "channelData": {"tenant": {"id": TENANT}}
                    | (
                        {"team": {"id": f"19:team{n % 20}@thread.tacv2"}}
                        if kind == "channel"
                        else {}
                    ),
                    "text": "hasanyone digest on",
                }
            )
            where = conversation_of(activity.serialize())
            workspace = where.workspace_id
            conversations.remember(
                PLATFORM,
                where.channel_id,
                TurnContext.get_conversation_reference(activity).serialize(),
                now=created,
                workspace_id=workspace,
                service_url=activity.service_url or "",
                conversation_type=kind,
            )
        roll = rng.random()
        only = (
            DigestFilter()
            if roll < 0.4
            else DigestFilter(service_areas=(rng.choice(areas),))
            if roll < 0.8
            else DigestFilter(organisations=(rng.choice(orgs),))
        )
        subs.append(
            store.subscribe(
                ConversationRef(platform, channel, workspace),
                by="bench",
                now=created,
                day=day,
                time=at,
                timezone=tz,
                only=only,
                post_when_quiet=rng.random() >= 0.2,
            )
        )
    return store.subscriptions()


# --- measuring ------------------------------------------------------------------------------------


class Timed:
    """Wraps one of jobs.digests' compose steps: wall and thread CPU of every call."""

    def __init__(self, original: Callable[..., Any]) -> None:
        self.original = original
        self.calls: list[tuple[float, float]] = []
        self.first = self.last = 0.0
        self._lock = threading.Lock()

    def __call__(self, *args: Any) -> Any:
        wall0, cpu0 = time.perf_counter(), time.thread_time()
        try:
            return self.original(*args)
        finally:
            wall1, cpu1 = time.perf_counter(), time.thread_time()
            with self._lock:
                self.first = self.first or wall0
                self.last = max(self.last, wall1)
                self.calls.append((wall1 - wall0, cpu1 - cpu0))

    @property
    def cpu(self) -> float:
        return sum(c for _, c in self.calls)

    @property
    def walls(self) -> list[float]:
        return [w for w, _ in self.calls]


class TimedPoster:
    """A poster proxy recording how long each post took and how it ended."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.platform = inner.platform
        self.times: list[float] = []
        self.errors: Counter[str] = Counter()
        self.last_done = 0.0

    async def post(self, channel_id: str, reply: Any, **kw: Any) -> str:
        started = time.perf_counter()
        try:
            return str(await self.inner.post(channel_id, reply, **kw))
        except Exception as error:
            self.errors[f"{type(error).__name__}: {error}"[:120]] += 1
            raise
        finally:
            self.times.append(time.perf_counter() - started)
            self.last_done = max(self.last_done, time.perf_counter())

    async def already_posted(self, channel_id: str, **kw: Any) -> Any:
        return await self.inner.already_posted(channel_id, **kw)


def cpu_now() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# --- the run ----------------------------------------------------------------------------------


async def sweep(args: argparse.Namespace, db: Path, urls: dict[str, str], fakes: Any) -> None:
    import jobs.digests as digests
    from adapters.bootstrap import build
    from adapters.settings import Settings, SlackSettings, TeamsSettings
    from bot.clock import FixedClock
    from bot.digest import digest_for
    from bot.digest_schedule import CATCH_UP, last_fire, period

    monday = datetime.combine(args.monday, dtime(9, 0), tzinfo=LONDON)
    now = monday + timedelta(minutes=5)
    start, end = period(monday)
    cpu0 = cpu_now()
    t0 = time.perf_counter()
    settings = Settings(
        env="development",
        database_url=f"sqlite:///{db}",
        demo_data=False,
        log_level="WARNING",
        slack=SlackSettings(bot_token=TOKEN, api_url=urls["slack_api"]),
        teams=TeamsSettings(),  # local mode: no app id, no tokens
    )
    runtime = build(settings, clock=FixedClock(now))  # upgrades the schema if it is behind
    app = runtime.core
    seeded = seed_period(app.engine, args, start, end)
    subs = subscribe_all(app, args, urls["service_url"], created=now - timedelta(days=30))
    setup_s, setup_cpu = time.perf_counter() - t0, cpu_now() - cpu0
    print(
        f"period {start:%a %d %b %H:%M} – {end:%a %d %b %Y %H:%M %Z}, sweep at {now:%a %H:%M}: "
        f"{seeded['new_projects']} new projects, {seeded['new_weeknotes']:,} weeknotes, "
        f"{seeded['stage_changes']} stage changes, {seeded['questions']} unanswered questions"
    )
    due_ids = {s.id for s in subs if now - last_fire(s.day, s.time, s.timezone, now) <= CATCH_UP}
    by_channel = {(s.platform, s.channel_id): s for s in subs}
    print(
        f"subscribed {args.slack:,} Slack channels + {args.teams:,} Teams conversations; "
        f"{len(due_ids):,} due at {now:%H:%M}; setup {setup_s:.1f} s ({setup_cpu:.1f} s CPU)"
    )

    job = runtime.digests
    if args.concurrency:
        job.concurrency = args.concurrency
    timed = {name: TimedPoster(p) for name, p in job.posters.items()}
    job.posters = timed
    # wrapped where jobs.digests looks them up (digest_for is bot.digest's, imported there)
    loads, composes = Timed(digests.load_activity), Timed(digest_for)
    rss_before = maxrss_mb()
    cpu1 = cpu_now()
    t1 = time.perf_counter()
    with (
        mock.patch.object(digests, "load_activity", loads),
        mock.patch.object(digests, "digest_for", composes),
    ):
        report = await digests.run_due(job, now=now)
    run_s, run_cpu = time.perf_counter() - t1, cpu_now() - cpu1
    rss_after = maxrss_mb()

    fakes.send("report")
    seen = fakes.recv()

    # --- compose, in the sweep
    compose_cpu = loads.cpu + composes.cpu
    print()
    print(f"== the sweep (run_due, concurrency {job.concurrency}) ==")
    print(f"outcomes: {report.summary()}")
    print(
        f"compose: {len(loads.calls)} loads of a period's activity, {loads.cpu:.2f} s CPU "
        f"(per load p50 {pct(loads.walls, 50):.2f} s, max {max(loads.walls, default=0):.2f} s "
        f"wall); {len(composes.calls)} digests narrowed and composed, {composes.cpu:.2f} s CPU "
        f"(per digest p50 {pct(composes.walls, 50) * 1000:.1f} ms)"
    )
    print(
        f"  => {compose_cpu:.2f} s CPU to compose {len(composes.calls):,} digests "
        f"(target < 10 s for 1,000: {'met' if compose_cpu < 10 else 'NOT met'})"
    )
    delivered = [p for p in timed.values() if p.times]
    posts_t = [x for p in delivered for x in p.times]
    last_post = max((p.last_done for p in delivered), default=t1)
    print(
        f"deliver: run_due took {run_s:.1f} s wall; the last post finished {last_post - t1:.1f} s "
        f"after the start; posts p50 {pct(posts_t, 50) * 1000:.0f} ms, p99 "
        f"{pct(posts_t, 99) * 1000:.0f} ms, max {max(posts_t, default=0) * 1000:.0f} ms"
    )
    for name, p in timed.items():
        if p.times:
            print(
                f"  {name}: {len(p.times)} posts, p50 {pct(p.times, 50) * 1000:.0f} ms, "
                f"p99 {pct(p.times, 99) * 1000:.0f} ms, the last done {p.last_done - t1:.1f} s "
                f"after the start; errors: {dict(p.errors) or 'none'}"
            )
    print(
        f"CPU: run_due {run_cpu:.1f} s (this process: job, clients, SQLite); setup "
        f"{setup_cpu:.1f} s; fakes' process {seen['cpu']:.1f} s in all"
    )
    print(
        f"peak memory (ru_maxrss): {rss_before:.0f} MB before the sweep, {rss_after:.0f} MB after; "
        f"fakes' process {seen['maxrss_mb']:.0f} MB"
    )

    # --- what the platforms saw
    slack_posts, teams_posts = seen["slack_posts"], seen["teams_posts"]
    print()
    print("== what the fakes received ==")
    print(
        f"Slack: {sum(slack_posts.values())} messages in {len(slack_posts)} channels "
        f"({seen['slack_tagged']} tagged hasanyone_digest); 429s: {seen['slack_429']} "
        f"{seen['slack_429_why'] or ''}; calls: {dict(seen['slack_calls'])}"
    )
    if seen["slack_sizes"]:
        print(
            f"  message size (blocks JSON): p50 {pct(seen['slack_sizes'], 50):,.0f} B, "
            f"max {max(seen['slack_sizes']):,} B"
        )
    print(
        f"Teams: {sum(teams_posts.values())} activities in {len(teams_posts)} conversations; "
        f"429s: {seen['teams_429']}; send statuses: {seen['teams_status']}; calls: "
        f"{dict(seen['teams_calls'])}"
    )
    if seen["teams_sizes"]:
        print(
            f"  activity size: p50 {pct(seen['teams_sizes'], 50):,.0f} B, "
            f"max {max(seen['teams_sizes']):,} B"
        )
    got = Counter({("slack", ch): n for ch, n in slack_posts.items()})
    got.update({("teams", ch): n for ch, n in teams_posts.items()})
    due_keys = {(s.platform, s.channel_id) for s in subs if s.id in due_ids}
    missing = sorted(k for k in due_keys if got[k] == 0)
    doubled = sorted(k for k in due_keys if got[k] > 1)
    stray = sorted(k for k in got if k not in due_keys or k not in by_channel)
    ok = not (missing or doubled or stray)
    print(
        f"exactly one post per due channel: {'YES' if ok else 'NO'} "
        f"({len(due_keys) - len(missing) - len(doubled)}/{len(due_keys)} exactly once; "
        f"{len(missing)} missing, {len(doubled)} more than once, {len(stray)} not due but posted)"
    )
    for label, items in (("missing", missing), ("doubled", doubled), ("stray", stray)):
        if items:
            print(f"  {label}: {items[:5]}{' …' if len(items) > 5 else ''}")

    # --- compose-only, uncached
    due_subs = sorted((s for s in subs if s.id in due_ids), key=lambda s: s.id)
    step = max(1, len(due_subs) // max(1, args.compose_sample))
    sample = due_subs[::step][: args.compose_sample]

    def compose_alone(s: Any) -> Any:
        fire = last_fire(s.day, s.time, s.timezone, now)
        return digest_for(s, digests.load_activity(job, fire))

    if sample:
        cpus = []
        cpu2, t2 = time.process_time(), time.perf_counter()
        for s in sample:
            c = time.process_time()
            compose_alone(s)
            cpus.append(time.process_time() - c)
        total_wall, total_cpu = time.perf_counter() - t2, time.process_time() - cpu2
        print()
        print(
            f"== compose only, no sharing: {len(sample)} due subscriptions, each loading its "
            f"period =="
        )
        print(
            f"{total_wall:.1f} s wall, {total_cpu:.1f} s CPU (process_time): "
            f"{total_cpu / len(sample):.3f} s CPU a digest (p50 {pct(cpus, 50):.3f}, max "
            f"{max(cpus):.3f}); 1,000 such would take ~{total_cpu / len(sample) * 1000:.0f} s CPU"
        )
    if args.profile and sample:
        import cProfile
        import pstats

        s = next((x for x in sample if x.only == DigestFilter()), sample[0])
        prof = cProfile.Profile()
        prof.runcall(compose_alone, s)
        print()
        print(
            f"== profile of one uncached compose (filter {s.only if s.only != DigestFilter() else 'none'}) =="
        )
        pstats.Stats(prof, stream=sys.stdout).sort_stats("cumulative").print_stats(18)
    app.engine.dispose()
    print()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        f"total: {usage.ru_utime + usage.ru_stime:.1f} s CPU in this process "
        f"(user {usage.ru_utime:.1f}, sys {usage.ru_stime:.1f}), peak {usage.ru_maxrss / 1024:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, help="reuse (or create) this SQLite register")
    parser.add_argument("--in-place", action="store_true", help="change --db itself, not a copy")
    parser.add_argument("--keep", action="store_true", help="keep the working copy")
    parser.add_argument("--slack", type=int, default=1000)
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--weeknotes", type=int, default=100_000)
    parser.add_argument("--new-projects", type=int, default=200)
    parser.add_argument("--new-weeknotes", type=int, default=2000)
    parser.add_argument("--stage-changes", type=int, default=100)
    parser.add_argument("--questions", type=int, default=150)
    parser.add_argument(
        "--monday",
        type=date.fromisoformat,
        default=date(2026, 11, 30),
        help="the Monday whose 09:00 digest is measured (default 2026-11-30)",
    )
    parser.add_argument("--concurrency", type=int, default=0, help="0: DigestJob's default")
    parser.add_argument("--compose-sample", type=int, default=20)
    parser.add_argument("--slack-workspace-per-minute", type=int, default=0)
    parser.add_argument("--profile", action="store_true", help="cProfile one unfiltered compose")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.monday.weekday() != 0:
        parser.error("--monday must be a Monday")
    print("$ " + shlex.join([sys.executable, *sys.argv]))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("jobs.digests").setLevel(logging.ERROR)  # one line per failure otherwise

    db, tmp = working_copy(args)
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(
        target=serve_fakes, args=(child, args.slack_workspace_per_minute), daemon=True
    )
    proc.start()
    try:
        urls = parent.recv()
        asyncio.run(sweep(args, db, urls, parent))
    finally:
        parent.send("stop")
        proc.join(timeout=10)
        if proc.is_alive():
            proc.terminate()
        if tmp is not None and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp is not None:
            print(f"working copy kept: {db}")


if __name__ == "__main__":
    main()
