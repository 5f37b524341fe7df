"""A soak: two `hasanyone serve` replicas on one PostgreSQL schema under mixed traffic for a while,
then checks that nothing went wrong, went missing, happened twice or kept growing.

    .venv/bin/python bench/soak.py [--duration 1800] [--rate 20] [--seed 7] [--channels 4]
                                   [--digest-rounds 3] [--mix weeknote=0,stage=0]
                                   [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

Setup, all through the command line as a deployment does it: a fresh schema, `hasanyone db
upgrade`, `hasanyone db load-demo` (the 44 demo projects, each then given a Slack owner) and
`hasanyone digest subscribe` for a few Slack channels: two whose digest falls due a little after
the warm-up (the leader's scheduler posts them), the others due yesterday (posted only by the
forced runs below). A fake Slack Web API on 127.0.0.1 (tests/fakes/slack_api.py) records every
post; both replicas run in production mode (HASANYONE_ENV=production, Teams off) pointed at it.

Traffic, open-loop at --rate requests a second for --duration seconds, alternating between the
replicas, signed as Slack signs: `app_mention` questions (each with a unique event id), the
`message` event Slack also sends for a mention (to be ignored), redeliveries of earlier events
with the same event id and `X-Slack-Retry-Num` (to the other replica: dropped, not answered
again), `/hasanyone` questions, `/hasanyone weeknote PROJECT: text` with a unique marker (a few
replayed with the same trigger_id to the other replica), and `/hasanyone project stage` edits by
the project's owner. Meanwhile `hasanyone digest run --now --at T` runs from two processes at once,
a few times, for this week's and last week's digests, racing each other and the leader.

Checks, with the figures: no request answered >= 400 or failed (errors counted by kind); every
question, command and weeknote answered exactly once and none saying it failed; every weeknote
marker stored exactly once (queried from the database); every digest posted exactly once per
subscription and period (chat.postMessage on the fake, by its metadata) and no other; RSS of each
replica (VmRSS) grown under 10% from the end of the warm-up (the first 20% of the run) to the end.
Exits 1 if any check fails. Everything stays on loopback; the schema is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.slack_load import SECRET, TOKEN, free_port  # noqa: E402
from bot.digest_schedule import DAYS, last_fire  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402

TEAM = "T0001"
DEMO = ROOT / "knowledge" / "data" / "demo" / "demo.jsonl"
POSTGRES = os.environ.get(
    "HASANYONE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
STAGES = ("discovery", "alpha", "beta", "live")
# The share of each kind of request, in ticks out of 100.
MIX = {
    "question": 40,
    "echo": 5,
    "retry": 10,
    "slash_question": 10,
    "weeknote": 20,
    "weeknote_replay": 3,
    "stage": 12,
}
RSS_LIMIT = 10.0  # per cent growth after the warm-up
WARM_UP = 0.2  # of the run
RSS_WINDOW = 60.0  # seconds after the warm-up it takes for the RSS check to mean anything


# --- the processes --------------------------------------------------------------------------


def server_env(database_url: str, api_url: str, home: Path) -> dict[str, str]:
    """Production, as compose.yaml runs it, minus Teams; nothing inherited from this shell."""
    kept = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HASANYONE_", "SLACK_", "MICROSOFT_APP_", "DATABASE_URL"))
    }
    return {
        **kept,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "HASANYONE_ENV": "production",
        "HASANYONE_TEAMS_ENABLED": "false",
        "HASANYONE_DEMO_DATA": "false",
        "HASANYONE_TIMEZONE": "UTC",
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
        "HASANYONE_LOG_LEVEL": os.environ.get("BENCH_SERVER_LOG", "WARNING"),
    }


async def cli(env: dict[str, str], *args: str) -> str:
    """`hasanyone ARGS`; its output, or SystemExit with its stderr."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "adapters", *args,
        env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"hasanyone {' '.join(args)} exited {proc.returncode}:\n{err.decode()}")
    return out.decode()


@dataclass
class Replica:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def start_replica(env: dict[str, str], logs: Path, n: int) -> Replica:
    port = free_port()
    log = logs / f"serve-{n}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "adapters", "serve", "--port", str(port)],
            env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    return Replica(proc, f"http://127.0.0.1:{port}", log)


async def wait_healthy(replicas: list[Replica], http: aiohttp.ClientSession) -> list[str]:
    """Each replica's /healthz 'scheduler' once all answer and one leads."""
    deadline = time.monotonic() + 180
    states: list[str] = []
    while time.monotonic() < deadline:
        states = []
        for r in replicas:
            if r.process.poll() is not None:
                raise SystemExit(f"a replica exited {r.process.returncode}:\n{r.tail()}")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{r.url}/healthz") as got:
                    states.append((await got.json())["scheduler"])
        if len(states) == len(replicas) and "leader" in states:
            return states
        await asyncio.sleep(0.3)
    raise SystemExit(f"replicas not healthy with a leader: {states}")


async def stop(replicas: list[Replica]) -> None:
    """SIGTERM, as a deployment stops them, waiting without blocking the loop the fake Slack
    runs on (a replica finishing its last answers still talks to it); killed after 30 s."""
    for r in replicas:
        if r.process.poll() is None:
            r.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(r.process.poll() is None for r in replicas):
        await asyncio.sleep(0.1)
    for r in replicas:
        if r.process.poll() is None:
            r.process.kill()
            r.process.wait(10)


@contextlib.contextmanager
def fresh_schema(postgres: str) -> Any:
    """A new schema for this run, and DATABASE_URL pointing into it; dropped afterwards."""
    schema = f"soak_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(postgres)
    with admin.begin() as c:
        c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in postgres else "?"
    try:
        yield schema, f"{postgres}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as c:
            c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# --- the register and the digests -----------------------------------------------------------


def demo_projects() -> list[tuple[str, str]]:
    """(id, title) of every demo project."""
    found = []
    for line in DEMO.read_text(encoding="utf-8").splitlines():
        record = json.loads(line) if line.strip() else {}
        if record.get("type") == "project":
            found.append((record["id"], record["title"]))
    return found


def give_owners(database_url: str, projects: list[str], owners: int) -> dict[str, str]:
    """Each project an owner (a Slack user), as an approved claim would; project → user id."""
    from knowledge import db
    from knowledge.repository import Repository

    engine = db.make_engine(database_url)
    repo = Repository(engine)
    owned = {p: f"U0OWN{i % owners:02d}" for i, p in enumerate(projects)}
    for project, user in owned.items():
        repo.set_owner(project, f"slack:{TEAM}:{user}", now=datetime.now(UTC))
    engine.dispose()
    return owned


@dataclass(frozen=True)
class Sub:
    channel: str
    day: str
    at: str  # HH:MM, UTC
    scheduled: datetime | None = None  # when the leader's scheduler posts it during the run


def plan_subscriptions(start: datetime, duration: float, channels: int) -> list[Sub]:
    """Half due a little after the warm-up (at a whole minute, if that comes before the end of
    the traffic), half due yesterday at 09:00 (before they existed: only forced runs post)."""
    yesterday = DAYS[(start.weekday() - 1) % 7]
    subs = [Sub(f"C0DIGPAST{i}", yesterday, "09:00") for i in range(channels - channels // 2)]
    fire = (start + timedelta(seconds=max(duration * WARM_UP, 5) + 60)).replace(
        second=0, microsecond=0
    )
    due_in_run = fire <= start + timedelta(seconds=duration - 15)
    at = fire if due_in_run else fire + timedelta(days=3)  # not this run's
    for i in range(channels // 2):
        subs.append(
            Sub(
                f"C0DIGSOON{i}",
                DAYS[at.weekday()],
                at.strftime("%H:%M"),
                fire if due_in_run else None,
            )
        )
    return subs


async def subscribe(env: dict[str, str], subs: list[Sub]) -> None:
    await asyncio.gather(
        *(
            cli(
                env, "digest", "subscribe", "--platform", "slack", "--channel", s.channel,
                "--workspace", TEAM, "--day", s.day, "--time", s.at, "--tz", "UTC",
                "--quiet", "line",
            )
            for s in subs
        )
    )  # fmt: skip


def window(sub: Sub, at: datetime) -> date:
    """The period (by its fire date) a forced run at `at` posts for `sub`."""
    return last_fire(sub.day, sub.at, "UTC", at).date()


@dataclass
class DigestRace:
    """Rounds of two `digest run --now --at T` processes started together; even rounds this
    week's digests, odd rounds last week's, so each period is raced more than once."""

    env: dict[str, str]
    rounds: list[tuple[datetime, str]] = field(default_factory=list)  # (T, one outcome line)

    async def round(self, k: int, now: datetime) -> None:
        at = now - timedelta(days=7 * (k % 2))
        outs = await asyncio.gather(
            *(cli(self.env, "digest", "run", "--now", "--at", at.isoformat()) for _ in range(2))
        )
        self.rounds.extend((at, out.splitlines()[0]) for out in outs)


# --- the traffic ----------------------------------------------------------------------------


def sign(body: str, content_type: str) -> dict[str, str]:
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": content_type,
    }


@dataclass
class Traffic:
    """What was sent and what each request should lead to."""

    replicas: list[Replica]
    fake: FakeSlack
    http: aiohttp.ClientSession
    projects: dict[str, str]  # id → owner's user id
    questions: list[str]
    rng: random.Random
    run: str
    latencies: list[tuple[str, float]] = field(default_factory=list)  # kind, seconds
    sent: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    events: list[tuple[dict[str, Any], int]] = field(default_factory=list)  # body, replica
    mentions: list[tuple[str, str]] = field(default_factory=list)  # (channel, ts) to answer
    commands: dict[str, str] = field(default_factory=dict)  # response id → kind
    slashes: list[tuple[dict[str, str], int]] = field(default_factory=list)  # weeknotes sent
    markers: list[str] = field(default_factory=list)
    stages: Counter[str] = field(default_factory=Counter)

    async def post(self, kind: str, replica: int, body: str, headers: dict[str, str]) -> None:
        self.sent[kind] += 1
        start = time.monotonic()
        try:
            async with self.http.post(
                f"{self.replicas[replica].url}/slack/events", data=body.encode(), headers=headers
            ) as r:
                await r.read()
                if r.status >= 400:
                    self.errors[f"{kind}: HTTP {r.status}"] += 1
        except (aiohttp.ClientError, TimeoutError) as error:
            self.errors[f"{kind}: {type(error).__name__}"] += 1
        self.latencies.append((kind, time.monotonic() - start))

    async def one(self, i: int, kind: str) -> None:
        replica = i % len(self.replicas)
        if kind in ("retry", "echo") and not self.events:
            kind = "question"
        if kind == "weeknote_replay" and not self.slashes:
            kind = "weeknote"
        await getattr(self, f"_{kind}")(i, replica)

    async def _event(self, kind: str, replica: int, body: dict[str, Any]) -> None:
        self.events.append((body, replica))
        text = json.dumps(body)
        await self.post(kind, replica, text, sign(text, "application/json"))

    def _envelope(self, i: int, event: dict[str, Any]) -> dict[str, Any]:
        return {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A0001",
            "type": "event_callback",
            "event_id": f"Ev{self.run}{i:07d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
            "event": event,
        }

    async def _question(self, i: int, replica: int) -> None:
        channel, ts = f"C0ASK{i % 5}", f"{int(time.time())}.{i:06d}"
        event = {
            "type": "app_mention",
            "user": f"U0ASK{i % 23:02d}",
            "text": f"<@UBOT> {self.rng.choice(self.questions)}",
            "ts": ts,
            "event_ts": ts,
            "channel": channel,
            "channel_type": "channel",
        }
        self.mentions.append((channel, ts))
        await self._event("question", replica, self._envelope(i, event))

    async def _echo(self, i: int, replica: int) -> None:
        """The `message` event Slack sends beside an app_mention: answered once, already."""
        mention = next(
            (b for b, _ in reversed(self.events) if b["event"]["type"] == "app_mention"), None
        )
        if mention is None:
            await self._question(i, replica)
            return
        event = {**mention["event"], "type": "message"}
        await self._event("echo", replica, self._envelope(i, event))

    async def _retry(self, i: int, replica: int) -> None:
        """An earlier event again, same event id, to the replica that did not get it."""
        body, first = self.rng.choice(self.events[-50:])
        text = json.dumps(body)
        headers = {
            **sign(text, "application/json"),
            "X-Slack-Retry-Num": str(self.rng.randint(1, 3)),
            "X-Slack-Retry-Reason": "http_timeout",
        }
        await self.post("retry", (first + 1) % len(self.replicas), text, headers)

    async def _slash(self, kind: str, i: int, replica: int, user: str, text: str) -> dict[str, str]:
        rid = f"{kind}-{i}"
        self.commands[rid] = kind
        form = {
            "token": "legacy",
            "team_id": TEAM,
            "team_domain": "localgov",
            "channel_id": "C0CMDS",
            "channel_name": "soak",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/hasanyone",
            "text": text,
            "api_app_id": "A0001",
            "response_url": self.fake.response_url(rid),
            "trigger_id": f"{self.run}.{i}",
        }
        body = urllib.parse.urlencode(form)
        await self.post(kind, replica, body, sign(body, "application/x-www-form-urlencoded"))
        return form

    async def _slash_question(self, i: int, replica: int) -> None:
        await self._slash(
            "slash_question", i, replica, f"U0ASK{i % 23:02d}", self.rng.choice(self.questions)
        )

    async def _weeknote(self, i: int, replica: int) -> None:
        project = self.rng.choice(sorted(self.projects))
        marker = f"soak{self.run}m{i:07d}"
        self.markers.append(marker)
        text = f"weeknote {project}: {marker} this week we {self.rng.choice(self.questions)}"
        form = await self._slash("weeknote", i, replica, self.projects[project], text)
        self.slashes.append((form, replica))

    async def _weeknote_replay(self, _i: int, _replica: int) -> None:
        """A weeknote command delivered again (same trigger_id), to the other replica."""
        form, first = self.rng.choice(self.slashes[-20:])
        body = urllib.parse.urlencode(form)
        await self.post(
            "weeknote_replay", (first + 1) % len(self.replicas), body,
            sign(body, "application/x-www-form-urlencoded"),
        )  # fmt: skip

    async def _stage(self, i: int, replica: int) -> None:
        project = self.rng.choice(sorted(self.projects))
        stage = self.rng.choice(STAGES)
        self.stages[stage] += 1
        text = f"project stage {project} {stage}"
        await self._slash("stage", i, replica, self.projects[project], text)


def kinds(rng: random.Random, total: int, mix: dict[str, int]) -> list[str]:
    names = list(mix)
    return rng.choices(names, weights=[mix[n] for n in names], k=total)


def parse_mix(text: str) -> dict[str, int]:
    """ "weeknote=0,stage=0": MIX with those shares changed."""
    mix = dict(MIX)
    for part in filter(None, text.split(",")):
        name, _, share = part.partition("=")
        if name.strip() not in MIX:
            raise argparse.ArgumentTypeError(f"{name!r} is not one of {', '.join(MIX)}")
        mix[name.strip()] = int(share)
    return mix


async def drive(
    traffic: Traffic,
    *,
    rate: float,
    duration: float,
    race: DigestRace,
    rounds: int,
    mix: dict[str, int],
) -> tuple[float, float]:
    """Send `rate * duration` requests open-loop (each on time, however long the last takes);
    start the digest rounds on the way. Returns the seconds it took to send them all, and
    until the last was acked (answers may still be on their way)."""
    total = int(rate * duration)
    plan = kinds(traffic.rng, total, mix)
    round_at = {int(total * (k + 1) / (rounds + 1)): k for k in range(rounds)}
    racing = []
    began = time.perf_counter()
    tasks = []
    for i, kind in enumerate(plan):
        await asyncio.sleep(max(0.0, began + i / rate - time.perf_counter()))
        if i in round_at:
            racing.append(asyncio.create_task(race.round(round_at[i], datetime.now(UTC))))
        tasks.append(asyncio.create_task(traffic.one(i, kind)))
    sending = time.perf_counter() - began
    await asyncio.gather(*tasks)
    acked = time.perf_counter() - began
    await asyncio.gather(*racing)
    return sending, acked


async def sample_rss(
    replicas: list[Replica], every: float, into: list[tuple[float, list[int]]]
) -> None:
    began = time.monotonic()
    while True:
        into.append((time.monotonic() - began, [r.rss_kib() for r in replicas]))
        await asyncio.sleep(every)


# --- the checks -----------------------------------------------------------------------------


def _metadata(params: dict[str, Any]) -> dict[str, Any]:
    meta = params.get("metadata") or {}
    if isinstance(meta, str):
        meta = json.loads(meta)
    return dict(meta)


def answers(traffic: Traffic) -> dict[str, Any]:
    """How many mentions and commands got exactly one answer, none, or more; and the commands
    whose answer says they failed."""
    fake = traffic.fake
    threads = Counter(
        (c.params.get("channel"), c.params.get("thread_ts"))
        for c in fake.calls_to("chat.postMessage")
        if not _metadata(c.params)
    )
    per_mention = [threads[m] for m in traffic.mentions]
    responses: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for c in fake.calls:
        rid = c.method.removeprefix("response_url:")
        if rid == c.method or rid not in traffic.commands:
            continue
        responses[rid] += 1
        kind, text = traffic.commands[rid], str(c.params.get("text", ""))
        if (kind == "weeknote" and "Posted your weeknote" not in text) or (
            kind == "stage" and " is now in " not in text
        ):
            failed[f"{kind}: {text[:70]}"] += 1
    per_command = [responses[r] for r in traffic.commands]
    return {
        "mentions": len(per_mention),
        "mentions_once": per_mention.count(1),
        "mentions_missing": per_mention.count(0),
        "mentions_twice": sum(1 for n in per_mention if n > 1),
        "commands": len(per_command),
        "commands_once": per_command.count(1),
        "commands_missing": per_command.count(0),
        "commands_twice": sum(1 for n in per_command if n > 1),
        "unexpected_answers": sum(threads.values()) - sum(per_mention),
        "failed": failed,
    }


def unanswered(traffic: Traffic) -> int:
    got = answers(traffic)
    return int(got["mentions_missing"] + got["commands_missing"])


async def settle(traffic: Traffic, *, quiet: float = 20.0, limit: float = 600.0) -> None:
    """Wait for the answers still on their way: until all came, or none came for `quiet`
    seconds (a replica that fell behind is still working through its backlog until then)."""
    waiting, since, deadline = unanswered(traffic), time.monotonic(), time.monotonic() + limit
    while waiting and time.monotonic() - since < quiet and time.monotonic() < deadline:
        await asyncio.sleep(1)
        now_waiting = unanswered(traffic)
        if now_waiting < waiting:
            waiting, since = now_waiting, time.monotonic()


def weeknotes_stored(database_url: str, markers: list[str]) -> Counter[str]:
    """How many weeknotes hold each marker (a marker is one word, at the start of the text)."""
    from knowledge import db

    engine = db.make_engine(database_url)
    with engine.connect() as c:
        rows = c.execute(
            sa.text("SELECT text FROM weeknote WHERE text LIKE 'soak%' AND deleted_at IS NULL")
        ).scalars()
        found = Counter(str(text).split()[0] for text in rows)
    engine.dispose()
    return Counter({m: found.get(m, 0) for m in markers})


def digests(
    fake: FakeSlack, subs: list[Sub], race: DigestRace, stopped: datetime
) -> dict[str, Any]:
    """Posts per (channel, period) against the periods the runs and the scheduler were due to
    post. A scheduled digest due in the last 10 s before the replicas stopped may or may not
    have gone: either is fine there, twice never is."""
    posted = Counter(
        (
            str(c.params.get("channel")),
            str(_metadata(c.params)["event_payload"]["digest"]).split(":")[1],
        )
        for c in fake.calls_to("chat.postMessage")
        if _metadata(c.params).get("event_type") == "hasanyone_digest"
    )
    expected: set[tuple[str, str]] = set()
    maybe: set[tuple[str, str]] = set()
    for sub in subs:
        for at, _ in race.rounds:
            expected.add((sub.channel, window(sub, at).isoformat()))
        if sub.scheduled is not None and sub.scheduled <= stopped:
            key = (sub.channel, sub.scheduled.date().isoformat())
            (expected if sub.scheduled <= stopped - timedelta(seconds=10) else maybe).add(key)
    maybe -= expected
    return {
        "expected": len(expected),
        "once": sum(1 for k in expected if posted[k] == 1),
        "missing": sorted(k for k in expected if posted[k] == 0),
        "twice": sorted(k for k, n in posted.items() if n > 1),
        "unexpected": sorted(k for k in posted if k not in expected and k not in maybe),
        "scheduled": sum(1 for s in subs if s.scheduled is not None and s.scheduled <= stopped),
        "outcomes": Counter(line for _, line in race.rounds),
    }


def rss_growth(
    samples: list[tuple[float, list[int]]], duration: float
) -> list[tuple[int, int, float]]:
    """Per replica: (KiB at the end of the warm-up, KiB at the end, growth %)."""
    after = [s for t, s in samples if t >= duration * WARM_UP]
    if len(after) < 2:
        after = [s for _, s in samples[-2:]]
    first, last = after[0], after[-1]
    return [(a, b, 100.0 * (b - a) / a) for a, b in zip(first, last, strict=True)]


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


# --- the run --------------------------------------------------------------------------------


async def soak(args: argparse.Namespace) -> bool:
    logs = Path(tempfile.mkdtemp(prefix="soak-"))
    with fresh_schema(args.postgres) as (schema, database_url):
        async with (
            FakeSlack() as fake,
            # No connection limit: Slack does not queue its requests behind slow answers.
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http,
        ):
            env = server_env(database_url, fake.api_url, logs)
            phases = [time.perf_counter()]
            await cli(env, "db", "upgrade")
            phases.append(time.perf_counter())
            start = datetime.now(UTC)
            subs = plan_subscriptions(start, args.duration, args.channels)
            await asyncio.gather(cli(env, "db", "load-demo"), subscribe(env, subs))
            projects = demo_projects()
            owners = give_owners(database_url, [p for p, _ in projects], owners=11)
            phases.append(time.perf_counter())
            replicas = [start_replica(env, logs, n) for n in range(2)]
            try:
                states = await wait_healthy(replicas, http)
                phases.append(time.perf_counter())
                took = "/".join(f"{b - a:.0f}" for a, b in itertools.pairwise(phases))
                print(
                    f"soak: 2 replicas on PostgreSQL (schema {schema}), {args.duration:g} s at "
                    f"{args.rate:g} req/s, seed {args.seed}; {len(subs)} digest subscriptions; "
                    f"set up in {took} s (upgrade/demo+subscribe/replicas healthy: "
                    f"{', '.join(states)}); logs in {logs}"
                )
                ok = await traffic_and_checks(
                    args, fake, http, replicas, env, subs, owners, projects, database_url
                )
            finally:
                await stop(replicas)
    return ok


async def traffic_and_checks(
    args: argparse.Namespace,
    fake: FakeSlack,
    http: aiohttp.ClientSession,
    replicas: list[Replica],
    env: dict[str, str],
    subs: list[Sub],
    owners: dict[str, str],
    projects: list[tuple[str, str]],
    database_url: str,
) -> bool:
    rng = random.Random(args.seed)
    questions = [f"has anyone built {title.lower()}?" for _, title in projects] + [
        "has anyone done a bulky waste booking form?",
        "who has replaced their planning portal?",
        "anyone using an open source case management system for housing repairs?",
        "has anyone got a chatbot for council tax?",
        "which councils have moved their website to a new CMS this year?",
    ]
    traffic = Traffic(replicas, fake, http, owners, questions, rng, run=uuid.uuid4().hex[:6])
    race = DigestRace(env)
    samples: list[tuple[float, list[int]]] = []
    sampler = asyncio.create_task(sample_rss(replicas, args.sample_every, samples))
    elapsed, acked = await drive(
        traffic,
        rate=args.rate,
        duration=args.duration,
        race=race,
        rounds=args.digest_rounds,
        mix=args.mix,
    )
    sampler.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sampler
    with (replicas[0].log.parent / "rss.csv").open("w") as out:
        out.write("seconds,replica 1 KiB,replica 2 KiB\n")
        out.writelines(f"{t:.1f},{','.join(map(str, kib))}\n" for t, kib in samples)
    await settle(traffic)
    settle_until = max((s.scheduled for s in subs if s.scheduled), default=None)
    if settle_until is not None and datetime.now(UTC) < settle_until + timedelta(seconds=15):
        await asyncio.sleep(
            max(0.0, (settle_until + timedelta(seconds=15) - datetime.now(UTC)).total_seconds())
        )
    await stop(replicas)
    stopped = datetime.now(UTC)
    return report(
        traffic, (elapsed, acked),
        answers(traffic),
        weeknotes_stored(database_url, traffic.markers),
        digests(fake, subs, race, stopped),
        rss_growth(samples, args.duration),
        args.duration * (1 - WARM_UP),
    )  # fmt: skip


def report(
    traffic: Traffic,
    elapsed: tuple[float, float],
    got: dict[str, Any],
    stored: Counter[str],
    posts: dict[str, Any],
    rss: list[tuple[int, int, float]],
    rss_window: float,
) -> bool:
    sent = sum(traffic.sent.values())
    lat = [seconds for _, seconds in traffic.latencies]
    by_kind = ", ".join(f"{k} {n}" for k, n in sorted(traffic.sent.items()))
    errors = sum(traffic.errors.values())
    print(f"{'requests sent':<26}{sent} ({by_kind})")
    print(
        f"{'achieved rate':<26}{sent / elapsed[0]:.2f} req/s sent over {elapsed[0]:.1f} s; "
        f"the last acked {elapsed[1] - elapsed[0]:.1f} s after the last was sent"
    )
    print(
        f"{'ack latency':<26}p50 {pct(lat, 50):.1f} ms, p95 {pct(lat, 95):.1f} ms, "
        f"p99 {pct(lat, 99):.1f} ms, max {max(lat, default=0) * 1000:.1f} ms"
    )
    for kind in sorted(traffic.sent):
        one = [seconds for k, seconds in traffic.latencies if k == kind]
        print(f"  {kind:<24}p50 {pct(one, 50):.1f} ms, p95 {pct(one, 95):.1f} ms")
    quarter = max(1, len(lat) // 4)
    print(
        f"  {'p95 by quarter of run':<24}"
        + ", ".join(
            f"{pct(lat[q : q + quarter], 95):.0f} ms" for q in range(0, quarter * 4, quarter)
        )
    )
    print(
        f"{'errors':<26}{errors}"
        + "".join(f"\n  {n} × {k}" for k, n in traffic.errors.most_common())
    )
    print(
        f"{'answers':<26}mentions {got['mentions_once']}/{got['mentions']} once "
        f"({got['mentions_missing']} none, {got['mentions_twice']} twice, "
        f"{got['unexpected_answers']} unasked); commands {got['commands_once']}/"
        f"{got['commands']} once ({got['commands_missing']} none, {got['commands_twice']} twice)"
    )
    failed = sum(got["failed"].values())
    print(
        f"{'answers saying it failed':<26}{failed}"
        + "".join(f"\n  {n} × {k}" for k, n in got["failed"].most_common(5))
    )
    for n, (a, b, growth) in enumerate(rss, start=1):
        print(
            f"{f'RSS replica {n}':<26}{a / 1024:.1f} MB after warm-up, {b / 1024:.1f} MB at the end: {growth:+.1f}%"
        )
    once = sum(1 for n in stored.values() if n == 1)
    print(
        f"{'weeknotes':<26}expected {len(stored)}, stored once {once}, missing "
        f"{sum(1 for n in stored.values() if n == 0)}, more than once {sum(1 for n in stored.values() if n > 1)}"
    )
    print(
        f"{'digests':<26}expected {posts['expected']}, posted once {posts['once']}, missing "
        f"{len(posts['missing'])}, twice {len(posts['twice'])}, unexpected {len(posts['unexpected'])}"
        f" ({posts['scheduled']} periods posted by the scheduler, "
        f"{sum(posts['outcomes'].values())} forced runs: "
        + "; ".join(f"{n} × {k}" for k, n in posts["outcomes"].most_common())
        + ")"
    )
    for problem in ("missing", "twice", "unexpected"):
        if posts[problem]:
            print(f"  digests {problem}: {posts[problem][:10]}")
    checks = {
        "no error responses": errors == 0 and failed == 0,
        "every request answered once": got["mentions_once"] == got["mentions"]
        and got["commands_once"] == got["commands"]
        and got["unexpected_answers"] == 0,
        f"RSS growth after warm-up < {RSS_LIMIT:g}%": all(g < RSS_LIMIT for _, _, g in rss),
        "every weeknote stored once": once == len(stored),
        "every digest posted once": posts["once"] == posts["expected"]
        and not posts["twice"]
        and not posts["unexpected"],
    }
    rss_check = f"RSS growth after warm-up < {RSS_LIMIT:g}%"
    if rss_window < RSS_WINDOW:
        checks[rss_check] = None  # a few seconds after start-up cannot tell a leak from warming
    for name, passed in checks.items():
        verdict = "PASS" if passed else "FAIL"
        if passed is None:
            verdict = (
                f"not checked ({rss_window:.0f} s after the warm-up; it takes {RSS_WINDOW:.0f})"
            )
        print(f"check: {name}: {verdict}")
    return all(passed is not False for passed in checks.values())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=1800.0, help="seconds of traffic")
    parser.add_argument("--rate", type=float, default=20.0, help="requests a second")
    parser.add_argument("--channels", type=int, default=4, help="subscribed to the digest")
    parser.add_argument("--digest-rounds", type=int, default=3, help="raced `digest run`s")
    parser.add_argument(
        "--sample-every", type=float, default=2.0, help="seconds between RSS samples"
    )
    parser.add_argument(
        "--mix", type=parse_mix, default=dict(MIX), help="change shares: weeknote=0,stage=0"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--postgres", default=POSTGRES, help="a PostgreSQL database to make a schema in"
    )
    args = parser.parse_args()
    sys.exit(0 if asyncio.run(soak(args)) else 1)


if __name__ == "__main__":
    main()
