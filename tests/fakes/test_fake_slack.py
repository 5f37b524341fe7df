"""The fake Slack server answers the real slack_sdk client the way Slack would."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.fakes.slack_api import BOT_USER_ID, FakeSlack

pytestmark = pytest.mark.asyncio

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "Has anyone *done* this?"}}]
METADATA = {"event_type": "hasanyone_question", "event_payload": {"question_id": 42}}


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


def client_for(slack: FakeSlack, token: str | None = "xoxb-test") -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=slack.api_url)


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
