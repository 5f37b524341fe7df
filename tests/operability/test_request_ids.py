"""Every response says which request it was (`X-Request-Id`): the platform's own id where it
sends one, else a fresh one; never something unsafe taken from an unchecked body."""

from __future__ import annotations

import json
import re
import urllib.parse

from tests.operability.conftest import Both
from tests.slack.conftest import sign

FRESH = re.compile(r"[0-9a-f]{32}")


async def test_a_slack_event_is_known_by_its_event_id_and_a_retry_says_so(both: Both) -> None:
    first = await both.slack_dm("help", event_id="Ev0TESTID01")
    assert first.headers["X-Request-Id"] == "Ev0TESTID01"
    body = json.dumps({"type": "event_callback", "event_id": "Ev0TESTID01", "event": {}})
    retried = await both.slack.post(
        body, "application/json", headers={**sign(body), "X-Slack-Retry-Num": "2"}
    )
    assert retried.status == 200
    assert retried.headers["X-Request-Id"] == "Ev0TESTID01-retry2"


async def test_a_slash_command_and_an_interaction_by_their_trigger_id(both: Both) -> None:
    response, _ = await both.slack.slash("/hasanyone", "help", trigger_id="13345224609.738474")
    assert response.headers["X-Request-Id"] == "13345224609.738474"
    payload = {
        "type": "block_actions",
        "trigger_id": "8888.9999",
        "team": {"id": "T0001"},
        "user": {"id": "UALICE", "team_id": "T0001"},
        "channel": {"id": "D0ALICE"},
        "actions": [{"action_id": "helpful", "block_id": "b", "type": "button", "value": "1"}],
    }
    interaction = await both.slack.post(
        urllib.parse.urlencode({"payload": json.dumps(payload)}),
        "application/x-www-form-urlencoded",
    )
    assert interaction.status == 200 and interaction.headers["X-Request-Id"] == "8888.9999"


async def test_a_teams_activity_by_its_id(both: Both) -> None:
    response = await both.teams.send(both.teams.activity("help", id="1:1Kx9-abc"), token=None)
    assert response.status < 300
    assert response.headers["X-Request-Id"] == "1:1Kx9-abc"


async def test_ids_that_are_not_short_and_plain_are_replaced(both: Both) -> None:
    for unsafe in ("Ev1\r\nSet-Cookie: x=1", "Ev1 <script>", "E" * 101, ""):
        response = await both.slack_dm("help", event_id=unsafe or None)
        if unsafe:
            assert FRESH.fullmatch(response.headers["X-Request-Id"]), unsafe
    unsigned = await both.slack.post('{"event_id": "Ev2"}', "application/json", headers={})
    assert unsigned.status == 401 and unsigned.headers["X-Request-Id"] == "Ev2"  # still traced
    not_json = await both.teams.send({"type": "message", "id": ["a", "list"]}, token=None)
    assert FRESH.fullmatch(not_json.headers["X-Request-Id"])
    nested = "[" * 100_000 + "]" * 100_000  # before the signature check, so never trusted
    deep = await both.slack.post(nested, "application/json", headers={})
    assert deep.status == 401 and FRESH.fullmatch(deep.headers["X-Request-Id"])


async def test_other_routes_get_a_fresh_id_each(both: Both) -> None:
    _, _, health = await both.get("/healthz")
    _, _, again = await both.get("/healthz")
    _, _, missing = await both.get("/no-such-page")
    ids = [r.headers["X-Request-Id"] for r in (health, again, missing)]
    assert all(FRESH.fullmatch(i) for i in ids) and len(set(ids)) == 3
