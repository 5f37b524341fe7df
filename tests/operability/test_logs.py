"""Logs as an operator reads them: timestamps, the request each line belongs to, JSON when
asked for, and never a message's words or a secret at INFO."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from adapters.observability.logs import (
    CURRENT,
    JsonFormatter,
    RequestContext,
    RequestFilter,
    TextFormatter,
)
from tests.cli.test_production import clean_environment, refusal_lines, run
from tests.cli.test_replicas import free_port
from tests.fakes.bot_connector import FakeConnector
from tests.fakes.slack_api import FakeSlack
from tests.slack.conftest import BOT_TOKEN, SIGNING_SECRET, SlackHarness
from tests.teams.conftest import TeamsHarness

PHRASE = "zanzibar marmalade periscope"
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def record(message: str, *args: object, exc: bool = False) -> logging.LogRecord:
    """A record as a logging call inside the current request makes it, stamped by our filter."""
    info = None
    if exc:
        try:
            raise ValueError("boom")
        except ValueError:
            info = sys.exc_info()
    made = logging.LogRecord("adapters.slack.app", logging.INFO, __file__, 1, message, args, info)
    RequestFilter().filter(made)
    return made


def test_a_json_line_has_the_time_level_logger_message_and_the_request() -> None:
    token = CURRENT.set(RequestContext("Ev0ABC", "slack"))
    try:
        inside = json.loads(JsonFormatter().format(record("dropped %s", "Ev0ABC", exc=True)))
    finally:
        CURRENT.reset(token)
    assert ISO_UTC.fullmatch(inside.pop("time"))
    trace = inside.pop("exception")
    assert trace.startswith("Traceback") and "ValueError: boom" in trace
    assert inside == {
        "level": "INFO",
        "logger": "adapters.slack.app",
        "message": "dropped Ev0ABC",
        "request_id": "Ev0ABC",
        "platform": "slack",
    }
    outside = json.loads(JsonFormatter().format(record("started")))
    assert "request_id" not in outside and "platform" not in outside


def test_a_text_line_starts_with_its_time_and_names_the_request() -> None:
    token = CURRENT.set(RequestContext("1:abc", "teams"))
    try:
        line = TextFormatter().format(record("refused"))
    finally:
        CURRENT.reset(token)
    stamp, rest = line.split(" ", 1)
    assert ISO_UTC.fullmatch(stamp)
    assert rest == "INFO adapters.slack.app [teams 1:abc]: refused"
    assert TextFormatter().format(record("up")).endswith(" INFO adapters.slack.app: up")


def test_an_unknown_log_format_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    env = clean_environment(tmp_path, HASANYONE_LOG_FORMAT="xml")
    [line] = refusal_lines(run(env, "db", "stats"))
    assert line.startswith("HASANYONE_LOG_FORMAT") and "json or text" in line, line


def test_the_command_line_logs_text_with_timestamps_by_default(tmp_path: Path) -> None:
    env = clean_environment(
        tmp_path, HASANYONE_SEMANTIC="false", DATABASE_URL=f"sqlite:///{tmp_path}/dev.db"
    )
    done = run(env, "db", "stats")
    assert done.returncode == 0, done.stderr
    [loaded] = [line for line in done.stderr.splitlines() if "loaded the demo data set" in line]
    assert ISO_UTC.fullmatch(loaded.split(" ", 1)[0]) and " INFO adapters.bootstrap: " in loaded


async def wait_up(url: str, process: asyncio.subprocess.Process, output: Callable[[], str]) -> None:
    deadline = time.monotonic() + 120
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            assert process.returncode is None, output()
            try:
                async with http.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.3)
    raise AssertionError(f"no answer at /healthz:\n{output()}")


async def test_json_logs_of_a_real_server_carry_request_ids_and_no_words_or_secrets(
    tmp_path: Path,
) -> None:
    log = tmp_path / "serve.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    async with FakeSlack() as fake, FakeConnector() as connector:
        env = clean_environment(
            tmp_path,
            DATABASE_URL=f"sqlite:///{tmp_path}/serve.db",
            HASANYONE_LOG_FORMAT="json",
            HASANYONE_LOG_LEVEL="INFO",
            HASANYONE_SEMANTIC="false",
            HASANYONE_TEAMS_LOCAL="true",
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=fake.api_url,
        )
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "adapters", "serve", "--port", str(port),
                env=env, stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out,
            )  # fmt: skip
        try:
            await wait_up(url, process, log.read_text)
            async with aiohttp.ClientSession() as http:
                sent = await converse(SlackHarness(fake, None, url, http), connector, url, http)  # type: ignore[arg-type]
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)
    output = log.read_text()
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]  # every one JSON
    assert all(ISO_UTC.fullmatch(line["time"]) and line["level"] for line in lines)
    assert PHRASE not in output.lower() and "zanzibar" not in output.lower()
    assert SIGNING_SECRET not in output and BOT_TOKEN not in output
    by_request = {line.get("request_id") for line in lines}
    assert {sent["event"], sent["activity"], sent["trigger"]} <= by_request, lines
    # Logged by the slash command's listener after its ack, in Bolt's own task.
    [replayed] = [line for line in lines if "replayed Slack slash command" in line["message"]]
    assert replayed["request_id"] == sent["trigger"] and replayed["platform"] == "slack"


async def converse(
    slack: SlackHarness, connector: FakeConnector, url: str, http: aiohttp.ClientSession
) -> dict[str, Any]:
    """A Slack DM, a slash command sent twice (a replay), a Teams message: each with the
    phrase, each answered. Returns their ids."""
    question = f"has anyone built a {PHRASE} for bulky waste?"
    event = {"type": "message", "channel_type": "im", "channel": "D0ALICE", "user": "UALICE"}
    answered = await slack.event(
        {**event, "text": question, "ts": "1700000001.000100"}, event_id="Ev0LOGS01"
    )
    assert answered.status == 200
    await slack.fake.wait_for("chat.postMessage")
    rids = []
    for _ in range(2):
        response, rid = await slack.slash("/hasanyone", question, trigger_id="4242.4242")
        assert response.status == 200
        rids.append(rid)
    await slack.responses(rids[0])  # the replay is dropped, so only the first is answered
    teams = TeamsHarness(connector, None, None, None, url, http)  # type: ignore[arg-type]
    activity = teams.activity(question, id="1:LogsActivity")
    assert (await teams.send(activity, token=None)).status < 300
    await teams.replies(1)
    return {"event": "Ev0LOGS01", "trigger": "4242.4242", "activity": "1:LogsActivity"}
