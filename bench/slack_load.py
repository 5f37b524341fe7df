"""Load on the Slack endpoint: signed /hasanyone requests at rising rates against `hasanyone serve`.

    .venv/bin/python bench/slack_load.py [--projects 10000] [--weeknotes 100000]
                                         [--rates 10,25,50,100] [--seconds 10] [--db PATH]

It builds (or reuses, with --db) a SQLite register of synthetic council projects and weeknotes,
starts the real server as a separate process with Slack's Web API pointed at a fake Slack on
127.0.0.1, then sends slash commands signed as Slack signs them, open-loop at each rate. For each
rate it prints: ack latency (the HTTP answer Slack waits for; Slack gives up after 3 s), answer
delivery latency (until the answer reaches the command's response_url), throughput of delivered
answers, and errors. Everything stays on loopback and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.search import make_projects, make_questions, make_weeknotes, pseudo_words  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402

SECRET = "bench-signing-secret-0123456789abcdef"
TOKEN = "xoxb-bench-0000000000-0000000000-benchbenchbenchbenchbe"


def build_register(path: Path, projects: int, weeknotes: int, seed: int) -> None:
    """Write the synthetic register as JSON Lines and import it with `hasanyone import`."""
    rng = random.Random(seed)
    rare = pseudo_words(rng, 3000)
    docs = make_projects(rng, projects, rare)
    notes = make_weeknotes(rng, weeknotes, docs, rare)
    jsonl = path.with_suffix(".jsonl")
    with jsonl.open("w", encoding="utf-8") as out:
        for name in sorted({d.organisation for d in docs}):
            out.write(json.dumps({"type": "organisation", "id": _slug(name), "name": name}) + "\n")
        for d in docs:
            out.write(
                json.dumps(
                    {
                        "type": "project",
                        "id": d.id,
                        "title": d.title,
                        "organisation": _slug(d.organisation),
                        "stage": rng.choice(["discovery", "alpha", "beta", "live"]),
                        "description": d.text,
                        "tags": list(d.tags),
                        "service_area": d.service_area,
                        "contact": "#team",
                    }
                )
                + "\n"
            )
        for n in notes:
            week = f"2025-{rng.randint(1, 12):02d}-01"
            out.write(
                json.dumps(
                    {
                        "type": "weeknote",
                        "id": n.id,
                        "project": n.project_id,
                        "week": week,
                        "title": n.title,
                        "text": n.text,
                    }
                )
                + "\n"
            )
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "HASANYONE_DEMO_DATA": "false"}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "adapters", "import", str(jsonl)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(
        f"register: {projects:,} projects + {weeknotes:,} weeknotes imported in "
        f"{time.perf_counter() - started:.0f} s"
    )


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def signed(body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


async def wait_healthy(
    url: str, proc: subprocess.Popen[bytes], http: aiohttp.ClientSession
) -> None:
    for _ in range(600):
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            async with http.get(f"{url}/healthz") as r:
                if r.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.5)
    raise SystemExit("server did not become healthy")


async def run_rate(
    url: str,
    fake: FakeSlack,
    http: aiohttp.ClientSession,
    *,
    rate: int,
    seconds: float,
    questions: list[str],
    tag: str,
) -> dict[str, float]:
    acks: list[float] = []
    sent_at: dict[str, float] = {}
    errors = 0

    async def one(i: int) -> None:
        nonlocal errors
        rid = f"{tag}-{i}"
        form = {
            "team_id": "T0001",
            "channel_id": "C0BENCH",
            "channel_name": "bench",
            "user_id": f"U{i % 50}",
            "user_name": "bench",
            "command": "/hasanyone",
            "text": questions[i % len(questions)],
            "response_url": fake.response_url(rid),
            "trigger_id": f"t{i}",
        }
        body = urllib.parse.urlencode(form)
        start = time.monotonic()
        try:
            async with http.post(
                f"{url}/slack/events", data=body.encode(), headers=signed(body)
            ) as r:
                await r.read()
                ok = r.status == 200
        except aiohttp.ClientError:
            ok = False
        acks.append(time.monotonic() - start)
        sent_at[rid] = start
        if not ok:
            errors += 1

    total = int(rate * seconds)
    before = len(fake.calls)
    began = time.perf_counter()
    tasks = []
    for i in range(total):
        await asyncio.sleep(max(0.0, began + i / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    deadline = time.perf_counter() + 30
    while time.perf_counter() < deadline and _delivered(fake, tag, before) < total:
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - began
    delivery = [_seen(fake, rid) - sent_at[rid] for rid in sent_at if _seen(fake, rid)]
    return {
        "rate": rate,
        "sent": total,
        "errors": errors + (total - len(delivery)),
        "ack_p50": _pct(acks, 50),
        "ack_p99": _pct(acks, 99),
        "deliver_p50": _pct(delivery, 50),
        "deliver_p99": _pct(delivery, 99),
        "throughput": len(delivery) / elapsed,
    }


def _delivered(fake: FakeSlack, tag: str, before: int) -> int:
    return sum(1 for c in fake.calls[before:] if c.method.startswith(f"response_url:{tag}-"))


def _seen(fake: FakeSlack, rid: str) -> float:
    for c in fake.calls:
        if c.method == f"response_url:{rid}":
            return c.at  # the fake stamps calls with time.monotonic(), as `one` does
    return 0.0


def _pct(values: list[float], pct: int) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))] * 1000


async def bench(args: argparse.Namespace, db: Path) -> None:
    questions = make_questions(random.Random(args.seed), 400)
    async with FakeSlack() as fake, aiohttp.ClientSession() as http:
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{db}",
            "HASANYONE_DEMO_DATA": "false",
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.api_url,
            "HASANYONE_LOG_LEVEL": os.environ.get("BENCH_SERVER_LOG", "WARNING"),
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "adapters", "serve", "--port", str(port)], env=env
        )
        try:
            url = f"http://127.0.0.1:{port}"
            started = time.perf_counter()
            await wait_healthy(url, proc, http)
            print(
                f"server ready in {time.perf_counter() - started:.1f} s (index built before listening)"
            )
            print(
                f"{'rate/s':>7} {'sent':>6} {'errors':>6} {'ack p50':>9} {'ack p99':>9} "
                f"{'answer p50':>11} {'answer p99':>11} {'answers/s':>10}"
            )
            for rate in args.rates:
                r = await run_rate(
                    url,
                    fake,
                    http,
                    rate=rate,
                    seconds=args.seconds,
                    questions=questions,
                    tag=f"r{rate}",
                )
                print(
                    f"{r['rate']:>7} {r['sent']:>6} {r['errors']:>6} {r['ack_p50']:>7.1f}ms "
                    f"{r['ack_p99']:>7.1f}ms {r['deliver_p50']:>9.1f}ms {r['deliver_p99']:>9.1f}ms "
                    f"{r['throughput']:>10.1f}"
                )
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--weeknotes", type=int, default=100_000)
    parser.add_argument(
        "--rates", type=lambda s: [int(x) for x in s.split(",")], default=[10, 25, 50, 100]
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", type=Path, help="reuse (or create) this SQLite register")
    args = parser.parse_args()
    db = args.db or Path(tempfile.mkdtemp()) / "bench.db"
    if not db.exists():
        build_register(db, args.projects, args.weeknotes, args.seed)
    asyncio.run(bench(args, db))


if __name__ == "__main__":
    main()
