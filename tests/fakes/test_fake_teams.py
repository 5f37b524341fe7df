"""The fake Bot Connector and identity provider, exercised through the real botbuilder SDK."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Any

import jwt
import pytest
from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
)
from botframework.connector.aio import ConnectorClient
from botframework.connector.models import ErrorResponseException

from tests.fakes.bot_connector import TEAM_ID, FakeConnector
from tests.fakes.identity import (
    BOT_FRAMEWORK_SCOPE,
    PUBLIC_CALLER_ID,
    FakeIdentity,
    LoopbackAadCredentialFactory,
)

APP_ID = "00000000-0000-4000-8000-00000000b07"
PASSWORD = "s3cret"
CONVERSATION_ID = "19:abc/def@thread.tacv2;messageid=1700000000000"


@pytest.fixture
async def identity() -> AsyncIterator[FakeIdentity]:
    async with FakeIdentity(apps={APP_ID: PASSWORD}) as fake:
        yield fake


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    async with FakeConnector() as fake:
        yield fake


@pytest.fixture
def auth(identity: FakeIdentity) -> ConfigurationBotFrameworkAuthentication:
    """Authentication configured exactly as a bot would be, pointed at the local identity."""
    return ConfigurationBotFrameworkAuthentication(
        identity.configuration(APP_ID, PASSWORD),
        credentials_factory=LoopbackAadCredentialFactory(APP_ID, PASSWORD),
    )


def incoming(service_url: str, *, channel_id: str = "msteams", text: str = "hello") -> Activity:
    return Activity(
        type="message",
        id="1700000000001",
        text=text,
        channel_id=channel_id,
        service_url=service_url,
        from_property=ChannelAccount(id="29:alex", name="Alex Smith", aad_object_id="aad-alex"),
        recipient=ChannelAccount(id=f"28:{APP_ID}", name="hasanyone"),
        conversation=ConversationAccount(
            id=CONVERSATION_ID, conversation_type="channel", tenant_id="t1"
        ),
        channel_data={"team": {"id": TEAM_ID}, "tenant": {"id": "t1"}},
    )


async def echo(turn_context: TurnContext) -> None:
    await turn_context.send_activity(f"echo: {turn_context.activity.text}")


async def connector_client(
    auth: ConfigurationBotFrameworkAuthentication, identity: FakeIdentity, url: str
) -> ConnectorClient:
    """The ConnectorClient CloudAdapter would build for a turn from this service URL."""
    result = await auth.authenticate_request(incoming(url), identity.bearer(APP_ID, url))
    return await result.connector_factory.create(url, result.audience)


# --- incoming: JWT validation ---------------------------------------------------------------


async def test_a_good_channel_token_is_accepted(
    auth: ConfigurationBotFrameworkAuthentication, identity: FakeIdentity, connector: FakeConnector
) -> None:
    url = connector.service_url
    result = await auth.authenticate_request(incoming(url), identity.bearer(APP_ID, url))
    assert result.claims_identity.is_authenticated
    assert result.claims_identity.claims["aud"] == APP_ID
    assert result.claims_identity.claims["serviceurl"] == url
    assert (result.audience, result.caller_id) == (BOT_FRAMEWORK_SCOPE, PUBLIC_CALLER_ID)
    assert identity.metadata_fetches == 1 and identity.keys_fetches == 1


Header = Callable[[FakeIdentity, str], "str | None"]
REJECTED: dict[str, tuple[Header, str, type[BaseException], str]] = {
    "no header (None)": (lambda i, u: None, "msteams", PermissionError, "Unauthorized Access"),
    "forged key": (
        lambda i, u: i.bearer(APP_ID, u, key="forged"),
        "msteams",
        jwt.InvalidSignatureError,
        "Signature verification failed",
    ),
    "expired": (
        lambda i, u: i.bearer(APP_ID, u, expired=True),
        "msteams",
        jwt.ExpiredSignatureError,
        "expired",
    ),
    "wrong audience": (
        lambda i, u: i.bearer(APP_ID, u, audience="someone-else"),
        "msteams",
        PermissionError,
        "Invalid AppId passed on token: someone-else",
    ),
    "wrong issuer": (
        lambda i, u: i.bearer(APP_ID, u, issuer="https://sts.example.com"),
        "msteams",
        PermissionError,
        "Identity missing",
    ),
    "other serviceUrl": (
        lambda i, u: i.bearer(APP_ID, "https://smba.example/uk/"),
        "msteams",
        PermissionError,
        "Invalid 'serviceurl' claim",
    ),
    "channel not endorsed": (
        lambda i, u: i.bearer(APP_ID, u),
        "slack",
        Exception,
        "Could not validate endorsement key",
    ),
    "not Bearer": (
        lambda i, u: "Basic " + i.token(APP_ID, u),
        "msteams",
        PermissionError,
        "Identity missing",
    ),
    # The parameterized path tests `auth_header is None`, so the "" CloudAdapter passes for a
    # missing header reaches `None.claims` (_parameterized_bot_framework_authentication.py:184,219).
    "no header ('')": (lambda i, u: "", "msteams", AttributeError, "claims"),
}


@pytest.mark.parametrize("case", list(REJECTED))
async def test_bad_channel_tokens_are_rejected(
    case: str,
    auth: ConfigurationBotFrameworkAuthentication,
    identity: FakeIdentity,
    connector: FakeConnector,
) -> None:
    header, channel_id, error, message = REJECTED[case]
    url = connector.service_url
    activity = incoming(url, channel_id=channel_id)
    with pytest.raises(error, match=message):
        await auth.authenticate_request(activity, header(identity, url))


async def test_a_metadata_url_alone_rejects_every_token(
    identity: FakeIdentity, connector: FakeConnector
) -> None:
    """Any TO_* key selects the parameterized path, which reads an unset issuer as None."""
    config = SimpleNamespace(
        APP_ID=APP_ID,
        APP_PASSWORD=PASSWORD,
        TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=identity.openid_metadata_url,
    )
    auth = ConfigurationBotFrameworkAuthentication(config)
    url = connector.service_url
    with pytest.raises(PermissionError, match="Identity missing"):
        await auth.authenticate_request(incoming(url), identity.bearer(APP_ID, url))


# --- the whole turn through CloudAdapter ----------------------------------------------------


async def test_cloud_adapter_replies_with_a_token_from_the_local_aad(
    auth: ConfigurationBotFrameworkAuthentication, identity: FakeIdentity, connector: FakeConnector
) -> None:
    url = connector.service_url
    await CloudAdapter(auth).process_activity(
        identity.bearer(APP_ID, url), incoming(url, text="hi"), echo
    )
    [reply] = await connector.wait_for(1)
    [call] = connector.calls_to("reply")
    assert reply["text"] == "echo: hi"
    assert (call.conversation_id, call.reply_to_id) == (CONVERSATION_ID, "1700000000001")
    assert call.token is not None and call.token in identity.issued_tokens
    [asked] = identity.token_requests
    assert (asked.client_id, asked.scope, asked.tenant) == (
        APP_ID,
        BOT_FRAMEWORK_SCOPE + "/.default",
        "botframework.com",
    )


async def test_cloud_adapter_refuses_a_forged_token_and_sends_nothing(
    auth: ConfigurationBotFrameworkAuthentication, identity: FakeIdentity, connector: FakeConnector
) -> None:
    url = connector.service_url
    with pytest.raises(jwt.InvalidSignatureError):
        await CloudAdapter(auth).process_activity(
            identity.bearer(APP_ID, url, key="forged"), incoming(url), echo
        )
    assert connector.calls == []
    assert identity.token_requests == []


async def test_local_mode_sends_without_a_token(connector: FakeConnector) -> None:
    """No app id: the SDK's public-cloud path accepts a header-less request and signs nothing."""
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(SimpleNamespace()))
    await adapter.process_activity("", incoming(connector.service_url, text="local"), echo)
    [reply] = await connector.wait_for(1)
    assert reply["text"] == "echo: local"
    assert connector.calls_to("reply")[0].authorization is None


async def test_wrong_app_password_fails_the_outgoing_call(
    identity: FakeIdentity, connector: FakeConnector
) -> None:
    auth = ConfigurationBotFrameworkAuthentication(
        identity.configuration(APP_ID, "wrong"),
        credentials_factory=LoopbackAadCredentialFactory(APP_ID, "wrong"),
    )
    url = connector.service_url
    with pytest.raises(PermissionError, match="invalid_client"):
        await CloudAdapter(auth).process_activity(identity.bearer(APP_ID, url), incoming(url), echo)
    assert [r.status for r in identity.token_requests] == [401]
    assert connector.calls == []


async def test_teams_info_lookups_reach_the_fake(
    auth: ConfigurationBotFrameworkAuthentication, identity: FakeIdentity, connector: FakeConnector
) -> None:
    """TeamsInfo.get_team_details is synchronous on the loop: only a threaded fake can answer it."""
    found: dict[str, Any] = {}

    async def look_up(turn_context: TurnContext) -> None:
        found["member"] = await TeamsInfo.get_member(turn_context, "29:sam")
        found["team"] = await TeamsInfo.get_team_details(turn_context)

    url = connector.service_url
    await CloudAdapter(auth).process_activity(identity.bearer(APP_ID, url), incoming(url), look_up)
    assert (found["member"].name, found["member"].user_principal_name) == (
        "Sam Jones",
        "sam.jones@council.example",
    )
    assert (found["member"].aad_object_id, found["member"].user_role) == ("aad-sam", "user")
    assert (found["team"].id, found["team"].name) == (TEAM_ID, "Fake Council Team")
    assert [c.kind for c in connector.calls] == ["member", "team_details"]
    assert all(c.token in identity.issued_tokens for c in connector.calls)


async def test_proactive_one_to_one_creates_a_conversation(
    auth: ConfigurationBotFrameworkAuthentication, connector: FakeConnector
) -> None:
    async def greet(turn_context: TurnContext) -> None:
        await turn_context.send_activity("a digest")

    parameters = ConversationParameters(
        members=[ChannelAccount(id="29:alex")], tenant_id="t1", is_group=False
    )
    await CloudAdapter(auth).create_conversation(
        APP_ID, greet, parameters, "msteams", connector.service_url
    )
    [created] = connector.calls_to("create_conversation")
    # The SDK's create-conversation event gets a made-up id, so the greeting goes out as a reply to it.
    [sent] = connector.calls_to("reply")
    assert created.activity is not None and created.activity["members"] == [{"id": "29:alex"}]
    assert sent.conversation_id == created.response["id"]
    assert str(sent.conversation_id).startswith("a:")
    assert connector.activity()["text"] == "a digest"


# --- outgoing: the SDK's ConnectorClient against the fake -----------------------------------


async def test_a_posted_activity_is_recorded(
    auth: ConfigurationBotFrameworkAuthentication, identity: FakeIdentity, connector: FakeConnector
) -> None:
    client = await connector_client(auth, identity, connector.service_url)
    sent = await client.conversations.send_to_conversation(
        CONVERSATION_ID, Activity(type="message", text="posted")
    )
    [call] = connector.calls_to("send")
    assert (call.method, call.conversation_id, call.status) == ("POST", CONVERSATION_ID, 201)
    assert call.activity is not None and call.activity["text"] == "posted"
    assert sent.id == call.response["id"]
    assert call.authorization == f"Bearer {identity.issued_tokens[-1]}"


@pytest.mark.parametrize(
    ("status", "code"), [(429, "TooManyRequests"), (503, "ServiceUnavailable")]
)
async def test_a_failed_post_surfaces_unretried(
    status: int,
    code: str,
    auth: ConfigurationBotFrameworkAuthentication,
    identity: FakeIdentity,
    connector: FakeConnector,
) -> None:
    client = await connector_client(auth, identity, connector.service_url)
    connector.fail_next(status, retry_after=1, times=2)
    message = Activity(type="message", text="throttled")
    for _ in range(2):
        with pytest.raises(ErrorResponseException) as caught:
            await client.conversations.send_to_conversation(CONVERSATION_ID, message)
        assert caught.value.response.status_code == status
        assert caught.value.response.headers["Retry-After"] == "1"
        assert caught.value.error.error.code == code
    await client.conversations.send_to_conversation(CONVERSATION_ID, message)
    assert [c.status for c in connector.calls_to("send")] == [status, status, 201]
    assert len(connector.activities) == 1


async def test_a_put_is_retried_by_the_transport(
    auth: ConfigurationBotFrameworkAuthentication, identity: FakeIdentity, connector: FakeConnector
) -> None:
    """msrest's urllib3 Retry covers idempotent verbs: a PUT's 503 is retried out of sight."""
    client = await connector_client(auth, identity, connector.service_url)
    connector.fail_next(503, kinds={"update"})
    updated = await client.conversations.update_activity(
        CONVERSATION_ID, "1700000000005", Activity(type="message", text="v2")
    )
    assert updated.id == "1700000000005"
    assert [c.status for c in connector.calls_to("update")] == [503, 200]


@pytest.mark.parametrize("status", [403, 404])
async def test_a_gone_conversation_is_refused(
    status: int,
    auth: ConfigurationBotFrameworkAuthentication,
    identity: FakeIdentity,
    connector: FakeConnector,
) -> None:
    client = await connector_client(auth, identity, connector.service_url)
    connector.conversations_gone.add(CONVERSATION_ID)
    connector.gone_status = status
    with pytest.raises(ErrorResponseException) as caught:
        await client.conversations.send_to_conversation(
            CONVERSATION_ID, Activity(type="message", text="x")
        )
    assert caught.value.response.status_code == status
    assert caught.value.error.error.code == "ConversationNotFound"
    assert connector.activities == []


async def test_members_are_teams_shaped_and_configurable(
    auth: ConfigurationBotFrameworkAuthentication, identity: FakeIdentity, connector: FakeConnector
) -> None:
    client = await connector_client(auth, identity, connector.service_url)
    connector.members[CONVERSATION_ID] = [
        {"id": "29:only", "name": "Only One", "aadObjectId": "aad-only"}
    ]
    [member] = await client.conversations.get_conversation_members(CONVERSATION_ID)
    assert (member.id, member.name, member.aad_object_id) == ("29:only", "Only One", "aad-only")
    with pytest.raises(ErrorResponseException) as caught:
        await client.conversations.get_conversation_member(CONVERSATION_ID, "29:nobody")
    assert caught.value.response.status_code == 404


async def test_wait_for_times_out_with_what_it_saw(connector: FakeConnector) -> None:
    with pytest.raises(AssertionError, match="expected 1 posted activities"):
        await connector.wait_for(1, timeout=0.05)
