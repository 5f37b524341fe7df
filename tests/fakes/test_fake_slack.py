"""The fake Slack server answers the real slack_sdk client the way Slack would."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.fakes.slack_api import BOT_USER_ID, PLAN_STEPS, FakeSlack, Fault, random_plan

pytestmark = pytest.mark.asyncio

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "Has anyone *done* this?"}}]
METADATA = {"event_type": "hasanyone_question", "event_payload": {"question_id": 42}}


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


def client_for(slack: FakeSlack, token: str | None = "xoxb-test") -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=slack.api_url)


def bare_client(slack: FakeSlack, timeout: int = 30) -> AsyncWebClient:
    """A client that retries nothing (slack_sdk's default retries dropped connections once)."""
    return AsyncWebClient(
        token="xoxb-test", base_url=slack.api_url, retry_handlers=[], timeout=timeout
    )


async def history_texts(slack: FakeSlack, channel: str = "C1") -> list[str]:
    """What conversations.history shows, oldest first, read through a healthy client."""
    history = await bare_client(slack).conversations_history(channel=channel)
    return [m["text"] for m in reversed(history["messages"])]


async def test_urls_point_at_loopback_with_a_trailing_slash(slack: FakeSlack) -> None:
    assert slack.api_url == f"http://127.0.0.1:{slack.port}/api/"
    assert slack.response_url("abc") == f"http://127.0.0.1:{slack.port}/response/abc"
    assert slack.port > 0


async def test_posted_message_reads_back_with_blocks_and_metadata(slack: FakeSlack) -> None:
    client = client_for(slack)
    posted = await client.chat_postMessage(
        channel="C1", text="question", blocks=BLOCKS, metadata=METADATA
    )
    assert posted["channel"] == "C1"
    assert posted["message"]["user"] == BOT_USER_ID
    history = await client.conversations_history(channel="C1", include_all_metadata=True)
    [message] = history["messages"]
    assert message["ts"] == posted["ts"]
    assert message["blocks"] == BLOCKS
    assert message["metadata"] == METADATA
    assert slack.calls_to("chat.postMessage")[0].token == "xoxb-test"


async def test_history_hides_metadata_unless_asked(slack: FakeSlack) -> None:
    client = client_for(slack)
    await client.chat_postMessage(channel="C1", text="question", metadata=METADATA)
    history = await client.conversations_history(channel="C1")
    assert "metadata" not in history["messages"][0]


async def test_history_is_newest_first_and_honours_oldest_and_limit(slack: FakeSlack) -> None:
    client = client_for(slack)
    stamps = [(await client.chat_postMessage(channel="C1", text=f"m{i}"))["ts"] for i in range(4)]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == 4
    since = await client.conversations_history(channel="C1", oldest=stamps[1])
    assert [m["text"] for m in since["messages"]] == ["m3", "m2"]
    assert since["has_more"] is False
    newest = await client.conversations_history(channel="C1", limit=2)
    assert [m["text"] for m in newest["messages"]] == ["m3", "m2"]
    assert newest["has_more"] is True
    everything = await client.conversations_history(channel="C1")
    assert [m["text"] for m in everything["messages"]] == ["m3", "m2", "m1", "m0"]
    assert (await client.conversations_history(channel="C2"))["messages"] == []


async def test_thread_replies_stay_out_of_history(slack: FakeSlack) -> None:
    client = client_for(slack)
    parent = await client.chat_postMessage(channel="C1", text="parent")
    await client.chat_postMessage(channel="C1", text="reply", thread_ts=parent["ts"])
    history = await client.conversations_history(channel="C1")
    assert [m["text"] for m in history["messages"]] == ["parent"]
    assert history["messages"][0]["reply_count"] == 1
    replies = await client.conversations_replies(channel="C1", ts=parent["ts"])
    assert [m["text"] for m in replies["messages"]] == ["parent", "reply"]


async def test_rate_limit_is_retried_and_delivered_once(slack: FakeSlack) -> None:
    client = client_for(slack)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    slack.fail_next("chat.postMessage", status=429, retry_after=0, times=1)
    posted = await client.chat_postMessage(channel="C1", text="hello")
    assert posted["ok"] is True
    assert len(slack.calls_to("chat.postMessage")) == 2
    assert [m["text"] for m in slack.messages["C1"]] == ["hello"]


async def test_rate_limit_answer_has_retry_after_and_slack_body(slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=1, times=2)
    url = slack.api_url + "chat.postMessage"
    headers = {"Authorization": "Bearer xoxb-test"}
    async with aiohttp.ClientSession() as session:
        for _ in range(2):
            async with session.post(url, json={"channel": "C1", "text": "x"}, headers=headers) as r:
                assert r.status == 429
                assert r.headers["Retry-After"] == "1"
                assert await r.json() == {"ok": False, "error": "ratelimited"}
        async with session.post(url, json={"channel": "C1", "text": "x"}, headers=headers) as r:
            assert r.status == 200
            assert (await r.json())["ok"] is True


async def test_server_error_raises_without_a_retry_handler(slack: FakeSlack) -> None:
    client = client_for(slack)
    slack.fail_next("chat.postMessage", status=500, times=1)
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C1", text="hello")
    assert raised.value.response.status_code == 500
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert "C1" not in slack.messages
    assert (await client.chat_postMessage(channel="C1", text="again"))["ok"] is True


async def test_scripted_error_raises_slack_api_error(slack: FakeSlack) -> None:
    client = client_for(slack)
    slack.fail_next("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C1", text="hello")
    assert raised.value.response.status_code == 200
    assert raised.value.response["error"] == "channel_not_found"
    assert "C1" not in slack.messages


async def test_form_encoded_json_fields_are_decoded(slack: FakeSlack) -> None:
    client = client_for(slack)
    await client.api_call(
        "chat.postMessage",
        data={"channel": "C1", "text": "123", "blocks": json.dumps(BLOCKS)},
    )
    [call] = slack.calls_to("chat.postMessage")
    assert call.params["blocks"] == BLOCKS
    assert call.params["text"] == "123"
    assert slack.messages["C1"][0]["blocks"] == BLOCKS


async def test_query_string_params_are_read(slack: FakeSlack) -> None:
    client = client_for(slack)
    slack.users["U9"] = {"is_admin": True, "profile": {"display_name": "Nine"}}
    answer = await client.users_info(user="U9")
    assert slack.calls_to("users.info")[0].params == {"user": "U9"}
    assert answer["user"]["is_admin"] is True
    assert answer["user"]["profile"]["display_name"] == "Nine"
    assert answer["user"]["profile"]["email"].endswith("@example.gov.uk")


async def test_response_url_posts_are_recorded(slack: FakeSlack) -> None:
    webhook = AsyncWebhookClient(slack.response_url("abc"))
    sent = await webhook.send(text="working on it", response_type="ephemeral")
    assert (sent.status_code, sent.body) == (200, "ok")
    [call] = slack.calls_to("response_url:abc")
    assert call.params == {"text": "working on it", "response_type": "ephemeral"}
    assert call.token is None


async def test_missing_authorization_is_not_authed(slack: FakeSlack) -> None:
    client = client_for(slack, token=None)
    with pytest.raises(SlackApiError) as raised:
        await client.auth_test()
    assert raised.value.response["error"] == "not_authed"
    assert [c.method for c in slack.calls] == ["auth.test"]


async def test_only_listed_tokens_are_accepted_when_listed(slack: FakeSlack) -> None:
    slack.tokens = {"xoxb-right"}
    with pytest.raises(SlackApiError) as raised:
        await client_for(slack, token="xoxb-wrong").auth_test()
    assert raised.value.response["error"] == "invalid_auth"
    assert (await client_for(slack, token="xoxb-right").auth_test())["user_id"] == BOT_USER_ID


async def test_auth_test_describes_the_bot(slack: FakeSlack) -> None:
    answer = await client_for(slack).auth_test()
    assert (answer["team_id"], answer["user_id"], answer["bot_id"]) == ("T0001", "UBOT", "BBOT")


async def test_wait_for_sees_calls_made_later(slack: FakeSlack) -> None:
    client = client_for(slack)

    async def later() -> None:
        await asyncio.sleep(0.05)
        await client.chat_postMessage(channel="C1", text="one")
        await client.chat_postMessage(channel="C1", text="two")

    task = asyncio.create_task(later())
    calls = await slack.wait_for("chat.postMessage", count=2, timeout=5.0)
    await task
    assert [c.params["text"] for c in calls] == ["one", "two"]


async def test_wait_for_times_out_with_what_it_saw(slack: FakeSlack) -> None:
    await client_for(slack).auth_test()
    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"chat\.postMessage.*auth\.test"):
        await slack.wait_for("chat.postMessage", timeout=0.1)
    assert time.monotonic() - started < 2


async def test_views_echo_the_view_with_an_id_and_hash(slack: FakeSlack) -> None:
    client = client_for(slack)
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Ask"}, "blocks": BLOCKS}
    opened = await client.views_open(trigger_id="123.456", view=view)
    assert opened["view"]["id"].startswith("V")
    assert opened["view"]["blocks"] == BLOCKS
    updated = await client.views_update(view_id=opened["view"]["id"], view=view)
    assert updated["view"]["id"] == opened["view"]["id"]
    assert updated["view"]["hash"] != opened["view"]["hash"]
    home = await client.views_publish(user_id="U1", view={"type": "home", "blocks": []})
    assert home["view"]["type"] == "home"


async def test_conversations_open_and_info(slack: FakeSlack) -> None:
    client = client_for(slack)
    dm = await client.conversations_open(users="U1")
    group = await client.conversations_open(users="U1,U2")
    assert dm["channel"]["id"].startswith("D")
    assert group["channel"]["id"].startswith("G")
    assert (await client.conversations_open(users="U1"))["channel"]["id"] == dm["channel"]["id"]
    slack.channels["C1"] = {"creator": "U1", "name": "general"}
    slack.channels["C404"] = None
    info = await client.conversations_info(channel="C1")
    assert (info["channel"]["creator"], info["channel"]["name"]) == ("U1", "general")
    assert info["channel"]["is_channel"] is True
    with pytest.raises(SlackApiError, match="channel_not_found"):
        await client.conversations_info(channel="C404")


async def test_update_and_delete_change_the_stored_message(slack: FakeSlack) -> None:
    client = client_for(slack)
    posted = await client.chat_postMessage(channel="C1", text="draft")
    updated = await client.chat_update(channel="C1", ts=posted["ts"], text="final")
    assert (updated["ts"], updated["text"]) == (posted["ts"], "final")
    assert slack.messages["C1"][0]["text"] == "final"
    await client.chat_delete(channel="C1", ts=posted["ts"])
    assert slack.messages["C1"] == []
    ephemeral = await client.chat_postEphemeral(channel="C1", user="U1", text="psst")
    assert ephemeral["message_ts"] > posted["ts"]


@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
async def test_oauth_v2_access_needs_no_bearer_token(slack: FakeSlack) -> None:
    client = client_for(slack, token=None)
    answer = await client.oauth_v2_access(client_id="1.2", client_secret="s", code="c")
    assert answer["access_token"] == "xoxb-installed"
    assert answer["team"] == {"id": "T0001", "name": answer["team"]["name"]}
    assert answer["authed_user"] == {"id": "UINSTALLER"}
    assert answer["enterprise"] is None


async def test_unknown_methods_answer_ok_and_are_recorded(slack: FakeSlack) -> None:
    answer = await client_for(slack).api_call("reactions.add", json={"name": "eyes"})
    assert answer["ok"] is True
    assert slack.calls[-1].method == "reactions.add"
    assert slack.calls[-1].params == {"name": "eyes"}


# --- faults after the call landed --------------------------------------------------------------
#
# Each test below shows what slack_sdk's AsyncWebClient (no retry handlers) raises for one fault,
# and that the message was posted anyway: the client cannot tell a lost answer from a lost post.


async def test_lands_then_json_500_raises_slack_api_error_with_slack_body(slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", status=500, after_landing=True)
    with pytest.raises(SlackApiError) as raised:
        await bare_client(slack).chat_postMessage(channel="C1", text="digest", metadata=METADATA)
    response = raised.value.response
    assert isinstance(response, AsyncSlackResponse)
    assert response.status_code == 500
    assert response.data == {"ok": False, "error": "fatal_error"}
    assert response.get("error") == "fatal_error"
    history = await bare_client(slack).conversations_history(
        channel="C1", include_all_metadata=True
    )
    [landed] = history["messages"]
    assert (landed["text"], landed["metadata"]) == ("digest", METADATA)
    [outcome] = slack.outcomes_of("chat.postMessage")
    assert (outcome.fault, outcome.landed, outcome.status) == ("land_then_500", True, 500)
    assert slack.landed("chat.postMessage") == slack.calls_to("chat.postMessage")


async def test_lands_then_html_502_gives_a_response_with_empty_data(slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", status=502, after_landing=True, body="html")
    with pytest.raises(SlackApiError) as raised:
        await bare_client(slack).chat_postMessage(channel="C1", text="digest")
    response = raised.value.response
    assert isinstance(response, AsyncSlackResponse)  # text/html: slack_sdk keeps data = {}
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.data == {}
    assert response.get("error") is None
    assert response["error"] is None
    assert await history_texts(slack) == ["digest"]
    assert [o.fault for o in slack.outcomes_of("chat.postMessage")] == ["land_then_html_502"]


async def test_lands_then_text_503_gives_a_response_whose_data_is_a_str(slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", status=503, after_landing=True, body="text")
    with pytest.raises(SlackApiError) as raised:
        await bare_client(slack).chat_postMessage(channel="C1", text="digest")
    response = raised.value.response
    assert isinstance(response, AsyncSlackResponse)  # text/plain: data is the body text
    data: object = response.data  # typed dict | bytes, but here a str
    assert (response.status_code, data) == (503, "fatal_error")
    with pytest.raises(AttributeError, match="'str' object has no attribute 'get'"):
        response.get("error")
    with pytest.raises(AttributeError, match="'str' object has no attribute 'get'"):
        response["error"]
    assert await history_texts(slack) == ["digest"]


async def test_lands_then_garbled_json_502_hands_out_the_raw_client_response(
    slack: FakeSlack,
) -> None:
    slack.fail_next("chat.postMessage", status=502, after_landing=True, body="garbled")
    with pytest.raises(SlackApiError, match="non-JSON format") as raised:
        await bare_client(slack).chat_postMessage(channel="C1", text="digest")
    response = raised.value.response
    assert isinstance(response, aiohttp.ClientResponse)  # not a SlackResponse at all
    assert response.status == 502
    assert not hasattr(response, "status_code")
    with pytest.raises(AttributeError, match="'ClientResponse' object has no attribute 'get'"):
        response.get("error")  # type: ignore[attr-defined]
    assert await history_texts(slack) == ["digest"]


async def test_error_before_landing_with_an_html_body_posts_nothing(slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", status=502, body="html")
    with pytest.raises(SlackApiError) as raised:
        await bare_client(slack).chat_postMessage(channel="C1", text="digest")
    assert raised.value.response.status_code == 502
    assert await history_texts(slack) == []
    assert slack.landed("chat.postMessage") == []
    assert [(o.fault, o.landed) for o in slack.outcomes] == [("html_502", False), ("ok", True)]


async def test_lands_then_drop_raises_server_disconnected(slack: FakeSlack) -> None:
    slack.drop_next("chat.postMessage", after_landing=True)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await bare_client(slack).chat_postMessage(channel="C1", text="digest", metadata=METADATA)
    assert slack.messages["C1"][0]["metadata"] == METADATA
    assert await history_texts(slack) == ["digest"]
    [outcome] = slack.outcomes_of("chat.postMessage")
    assert (outcome.fault, outcome.landed, outcome.status) == ("land_then_drop", True, None)


async def test_lands_then_reset_raises_client_os_error(slack: FakeSlack) -> None:
    slack.drop_next("chat.postMessage", after_landing=True, how="reset")
    with pytest.raises(aiohttp.ClientOSError) as raised:
        await bare_client(slack).chat_postMessage(channel="C1", text="digest")
    assert raised.value.errno == 104  # ECONNRESET
    assert await history_texts(slack) == ["digest"]


async def test_lands_then_cut_answer_raises_client_payload_error(slack: FakeSlack) -> None:
    slack.drop_next("chat.postMessage", after_landing=True, how="partial")
    with pytest.raises(aiohttp.ClientPayloadError):
        await bare_client(slack).chat_postMessage(channel="C1", text="digest")
    assert await history_texts(slack) == ["digest"]


async def test_drop_before_landing_posts_nothing(slack: FakeSlack) -> None:
    slack.drop_next("chat.postMessage")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await bare_client(slack).chat_postMessage(channel="C1", text="digest")
    assert await history_texts(slack) == []
    assert [o.fault for o in slack.outcomes_of("chat.postMessage")] == ["drop"]


async def test_lands_then_stall_times_out_the_client(slack: FakeSlack) -> None:
    slack.stall_next("chat.postMessage", seconds=1.5, after_landing=True)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await bare_client(slack, timeout=1).chat_postMessage(channel="C1", text="digest")
    assert time.monotonic() - started > 0.9  # the client's own timeout, not the stall
    assert await history_texts(slack) == ["digest"]  # landed before the client gave up
    assert [o.fault for o in slack.outcomes_of("chat.postMessage")] == ["land_then_stall_1.5s"]


async def test_stall_before_landing_lands_after_the_client_gave_up(slack: FakeSlack) -> None:
    slack.stall_next("chat.postMessage", seconds=1.3)
    with pytest.raises(TimeoutError):
        await bare_client(slack, timeout=1).chat_postMessage(channel="C1", text="digest")
    assert slack.landed("chat.postMessage") == []
    await slack.wait_for_landed("chat.postMessage", timeout=2)
    assert await history_texts(slack) == ["digest"]


async def test_leaving_the_fake_cuts_a_stall_short() -> None:
    async with FakeSlack() as fake:
        fake.stall_next("chat.postMessage", seconds=60, after_landing=True)
        posting = asyncio.create_task(
            bare_client(fake).chat_postMessage(channel="C1", text="digest")
        )
        await fake.wait_for_landed("chat.postMessage")
        started = time.monotonic()
    assert time.monotonic() - started < 2
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await posting


# --- what slack_sdk's own retry handlers make of those faults --------------------------------


def retrying_client(slack: FakeSlack, *handlers: AsyncRetryHandler) -> AsyncWebClient:
    client = bare_client(slack)
    client.retry_handlers.extend(handlers)
    return client


NO_WAIT = FixedValueRetryIntervalCalculator(0)


async def test_server_error_retry_handler_posts_twice_after_a_landed_500(slack: FakeSlack) -> None:
    client = retrying_client(slack, AsyncServerErrorRetryHandler(1, NO_WAIT))
    slack.fail_next("chat.postMessage", status=500, after_landing=True)
    assert (await client.chat_postMessage(channel="C1", text="digest"))["ok"] is True
    assert await history_texts(slack) == ["digest", "digest"]
    assert len(slack.landed("chat.postMessage")) == 2


async def test_connection_retry_handler_posts_twice_after_a_landed_drop(slack: FakeSlack) -> None:
    client = retrying_client(slack, AsyncConnectionErrorRetryHandler(1, NO_WAIT))
    slack.drop_next("chat.postMessage", after_landing=True)
    assert (await client.chat_postMessage(channel="C1", text="digest"))["ok"] is True
    assert await history_texts(slack) == ["digest", "digest"]


async def test_server_error_retry_handler_skips_502_and_garbled_bodies(slack: FakeSlack) -> None:
    """It retries only 500 and 503 answers it could read: an HTML 502 or a garbled 503 is raised."""
    client = retrying_client(slack, AsyncServerErrorRetryHandler(1, NO_WAIT))
    slack.fail_next("chat.postMessage", status=502, body="html")
    slack.fail_next("chat.postMessage", status=503, body="garbled")
    for _ in range(2):
        with pytest.raises(SlackApiError):
            await client.chat_postMessage(channel="C1", text="digest")
    assert len(slack.calls_to("chat.postMessage")) == 2
    assert await history_texts(slack) == []


# --- response_url ------------------------------------------------------------------------------


async def test_response_url_429_has_retry_after_and_posts_nothing(slack: FakeSlack) -> None:
    slack.fail_next("response_url:abc", status=429, retry_after=7)
    webhook = AsyncWebhookClient(slack.response_url("abc"), retry_handlers=[])
    sent = await webhook.send(text="working on it")
    assert (sent.status_code, sent.body) == (429, "ratelimited")
    assert sent.headers["Retry-After"] == "7"
    assert slack.landed("response_url:abc") == []
    again = await webhook.send(text="working on it")
    assert (again.status_code, again.body) == (200, "ok")
    assert len(slack.landed("response_url:abc")) == 1


async def test_response_url_5xx_before_and_after_landing(slack: FakeSlack) -> None:
    slack.fail_next("response_url:abc", status=500)
    slack.fail_next("response_url:abc", status=503, after_landing=True)
    slack.fail_next("response_url:abc", status=502, after_landing=True, body="html")
    webhook = AsyncWebhookClient(slack.response_url("abc"), retry_handlers=[])
    answers = [await webhook.send(text=f"try {i}") for i in range(3)]
    assert [a.status_code for a in answers] == [500, 503, 502]
    assert answers[1].body == "fatal_error"
    assert "502 Bad Gateway" in answers[2].body
    assert [c.params["text"] for c in slack.landed("response_url:abc")] == ["try 1", "try 2"]


async def test_response_url_lands_then_drop(slack: FakeSlack) -> None:
    slack.drop_next("response_url:abc", after_landing=True)
    webhook = AsyncWebhookClient(slack.response_url("abc"), retry_handlers=[])
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await webhook.send(text="done")
    assert len(slack.landed("response_url:abc")) == 1


# --- rate limits -------------------------------------------------------------------------------


async def test_long_retry_after_reaches_the_client(slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=30)
    with pytest.raises(SlackApiError) as raised:
        await bare_client(slack).chat_postMessage(channel="C1", text="digest")
    response = raised.value.response
    assert (response.status_code, response.headers["Retry-After"]) == (429, "30")
    assert response["error"] == "ratelimited"
    assert await history_texts(slack) == []


async def test_rate_limit_window_answers_429_until_it_ends(slack: FakeSlack) -> None:
    slack.rate_limit("chat.postMessage", seconds=0.8)
    slack.fail_next("chat.postMessage", error="channel_not_found")  # waits behind the window
    client = bare_client(slack)
    for _ in range(3):
        with pytest.raises(SlackApiError) as raised:
            await client.chat_postMessage(channel="C1", text="digest")
        assert raised.value.response.status_code == 429
        assert raised.value.response.headers["Retry-After"] == "1"  # whole seconds left
    assert slack.landed("chat.postMessage") == []
    await asyncio.sleep(0.9)
    with pytest.raises(SlackApiError, match="channel_not_found"):
        await client.chat_postMessage(channel="C1", text="digest")
    assert (await client.chat_postMessage(channel="C1", text="digest"))["ok"] is True
    faults = [o.fault for o in slack.outcomes_of("chat.postMessage")]
    assert faults == ["rate_limited"] * 3 + ["channel_not_found", "ok"]


async def test_rate_limit_window_sends_the_given_retry_after_and_can_end_early(
    slack: FakeSlack,
) -> None:
    slack.rate_limit("conversations.history", seconds=60, retry_after=30)
    with pytest.raises(SlackApiError) as raised:
        await bare_client(slack).conversations_history(channel="C1")
    assert raised.value.response.headers["Retry-After"] == "30"
    slack.rate_limit("conversations.history", seconds=0)
    assert (await bare_client(slack).conversations_history(channel="C1"))["ok"] is True


# --- fault plans -------------------------------------------------------------------------------


async def test_fault_plan_takes_one_step_per_call_then_answers_ok(slack: FakeSlack) -> None:
    steps = ["ok", *PLAN_STEPS]
    slack.fault_plan("chat.postMessage", steps, stall_seconds=1.2, retry_after=0)
    client = bare_client(slack, timeout=1)
    seen: list[str] = []
    for i in range(len(steps) + 1):
        try:
            await client.chat_postMessage(channel="C1", text=f"m{i}")
            seen.append("ok")
        except SlackApiError as exc:
            seen.append(f"SlackApiError {exc.response.status_code}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            seen.append(type(exc).__name__)
    assert seen == [
        "ok",
        "SlackApiError 500",  # error_before
        "SlackApiError 429",
        "ServerDisconnectedError",  # drop_before
        "SlackApiError 500",  # land_then_500
        "SlackApiError 503",
        "SlackApiError 502",  # land_then_html_502
        "ServerDisconnectedError",  # land_then_drop
        "ClientOSError",  # land_then_reset
        "TimeoutError",  # land_then_stall
        "ok",  # the plan ran out
    ]
    assert [o.fault for o in slack.outcomes_of("chat.postMessage")] == [*steps, "ok"]
    landed = [c.params["text"] for c in slack.landed("chat.postMessage")]
    assert landed == ["m0", "m4", "m5", "m6", "m7", "m8", "m9", "m10"]
    assert [m["text"] for m in slack.messages["C1"]] == landed


async def test_fault_plan_may_be_a_callable_of_the_call(slack: FakeSlack) -> None:
    slack.fault_plan(
        "chat.postMessage",
        lambda call: "land_then_500" if call.params["channel"] == "C2" else None,
    )
    client = bare_client(slack)
    await client.chat_postMessage(channel="C1", text="one")
    with pytest.raises(SlackApiError):
        await client.chat_postMessage(channel="C2", text="two")
    assert {c: [m["text"] for m in ms] for c, ms in slack.messages.items()} == {
        "C1": ["one"],
        "C2": ["two"],
    }


async def test_fault_plan_accepts_faults_and_applies_to_response_urls(slack: FakeSlack) -> None:
    slack.fault_plan("response_url:abc", [Fault(status=503, after_landing=True), "429"])
    webhook = AsyncWebhookClient(slack.response_url("abc"), retry_handlers=[])
    assert [(await webhook.send(text="x")).status_code for _ in range(3)] == [503, 429, 200]
    assert [o.fault for o in slack.outcomes_of("response_url:abc")] == [
        "land_then_503",
        "429",
        "ok",
    ]
    assert len(slack.landed("response_url:abc")) == 2


async def test_random_plan_is_repeatable_and_stops_after_max_faults() -> None:
    def take(seed: int, n: int = 40, **kwargs: object) -> list[str]:
        plan = random_plan(seed, **kwargs)  # type: ignore[arg-type]
        return [next(plan) for _ in range(n)]

    assert take(7) == take(7)
    assert take(7) != take(8)
    assert set(take(7)) <= {"ok", *PLAN_STEPS}
    assert {"ok"} < set(take(7))
    only_drops = take(3, steps=["land_then_drop"], p_ok=0.0, max_faults=2)
    assert only_drops == ["land_then_drop"] * 2 + ["ok"] * 38


async def test_bad_plan_steps_fail_the_test() -> None:
    async with FakeSlack() as fake:
        with pytest.raises(ValueError, match="land_then_typo"):
            fake.fault_plan("chat.postMessage", ["ok", "land_then_typo"])

    async def lazy_typo() -> None:
        async with FakeSlack() as fake:
            fake.fault_plan("chat.postMessage", iter(["land_then_typo"]))
            assert (await bare_client(fake).chat_postMessage(channel="C1", text="x"))["ok"]

    with pytest.raises(AssertionError, match="land_then_typo"):
        await lazy_typo()


async def test_clear_faults_forgets_queued_windows_and_plans(slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", status=500, times=3)
    slack.rate_limit("auth.test", seconds=60)
    slack.fault_plan("users.info", ["error_before"])
    slack.clear_faults()
    client = bare_client(slack)
    assert (await client.chat_postMessage(channel="C1", text="x"))["ok"] is True
    assert (await client.auth_test())["ok"] is True
    assert (await client.users_info(user="U1"))["ok"] is True
