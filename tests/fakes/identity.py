"""A local Bot Framework identity provider on 127.0.0.1, for tests of real JWT validation.

Two halves, both served by one :class:`FakeIdentity`:

* **Incoming** (channel → bot): OpenID metadata at ``/v1/.well-known/openidconfiguration`` and
  a JWKS at ``/v1/.well-known/keys`` publishing one RSA key with Bot Framework ``endorsements``.
  :meth:`FakeIdentity.token` signs channel tokens the way the Bot Framework channel service does
  (``iss`` https://api.botframework.com, ``aud`` = the bot's app id, ``serviceurl``, ``kid``).
  Point botbuilder at it with the keys :meth:`FakeIdentity.configuration` returns.
* **Outgoing** (bot → channel): an AAD-like client-credentials token endpoint at
  ``/{tenant}/oauth2/v2.0/token``. botframework-connector asks msal for that token, and msal
  refuses any ``http://`` authority and, for an unknown ``https://`` host, first asks
  login.microsoftonline.com for instance discovery; so tests swap msal out with
  :class:`LoopbackAadCredentialFactory`, whose credentials fetch the token from here.

The server runs on its own thread: the SDK fetches the JWKS (``requests.get`` in
``_OpenIdMetadata._refresh``) and outgoing tokens (``AppCredentials.signed_session``, called
from msrest's credentials policy) synchronously on the event loop's thread, so a server on the
test's event loop could never answer them.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace, TracebackType
from typing import Any, Literal, Self
from urllib.parse import parse_qsl, urlparse

import jwt
import requests
from botframework.connector.auth import (
    MicrosoftAppCredentials,
    PasswordServiceClientCredentialFactory,
)
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

Json = dict[str, Any]

CHANNEL_ISSUER = (
    "https://api.botframework.com"  # AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
)
BOT_FRAMEWORK_SCOPE = "https://api.botframework.com"  # ...TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
PUBLIC_CALLER_ID = "urn:botframework:azure"  # CallerIdConstants.public_azure_channel
DEFAULT_TENANT = "botframework.com"  # AuthenticationConstants.DEFAULT_CHANNEL_AUTH_TENANT
DEFAULT_ENDORSEMENTS = ("msteams", "webchat", "emulator")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
METADATA_PATH = "/v1/.well-known/openidconfiguration"
KEYS_PATH = "/v1/.well-known/keys"
TOKEN_SUFFIX = "/oauth2/v2.0/token"


@dataclass(frozen=True)
class TokenRequest:
    """One request to the fake AAD token endpoint: its tenant, form fields and our answer."""

    tenant: str
    form: dict[str, str]
    status: int
    at: float

    @property
    def client_id(self) -> str | None:
        """The app id that asked."""
        return self.form.get("client_id")

    @property
    def scope(self) -> str | None:
        """The scope it asked for, e.g. ``https://api.botframework.com/.default``."""
        return self.form.get("scope")


class _SigningKey:
    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self, endorsements: Iterable[str]) -> Json:
        key = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {
            **key,
            "kid": self.kid,
            "use": "sig",
            "alg": "RS256",
            "endorsements": list(endorsements),
        }

    def sign(self, claims: Json) -> str:
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": self.kid})


class FakeIdentity:
    """Bot Framework's OpenID metadata + JWKS, and an AAD token endpoint, on a loopback port.

    ``async with FakeIdentity(apps={"app-id": "password"}) as identity:`` (or plain ``with``).
    ``apps`` are the app ids and secrets the token endpoint accepts. ``endorsements`` are the
    channel ids the published key endorses; the SDK rejects a token whose activity's channelId
    is not among them.
    """

    def __init__(
        self,
        *,
        apps: Mapping[str, str] | None = None,
        endorsements: Iterable[str] = DEFAULT_ENDORSEMENTS,
        host: str = "127.0.0.1",
    ) -> None:
        self.apps = dict(apps or {})
        self.endorsements = list(endorsements)
        self.host = host
        kid = f"fake-{uuid.uuid4().hex[:8]}"
        self._good = _SigningKey(kid)
        self._forged = _SigningKey(kid)  # same kid, a key the JWKS never publishes
        self.token_requests: list[TokenRequest] = []
        self.issued_tokens: list[str] = []
        self.metadata_fetches = 0
        self.keys_fetches = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind a free port and serve on a daemon thread."""
        self._server = ThreadingHTTPServer((self.host, 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self.forget_cached_keys()
        return self

    def stop(self) -> None:
        """Stop serving and drop the SDK's cached copy of our keys."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self.forget_cached_keys()
            self._server = None

    def forget_cached_keys(self) -> None:
        """The SDK caches OpenID metadata per URL for a day (``JwtTokenExtractor.metadataCache``);
        a later FakeIdentity on a reused port must not be judged by this one's keys."""
        JwtTokenExtractor.metadataCache.pop(self.openid_metadata_url, None)

    async def __aenter__(self) -> Self:
        return self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses -----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        if self._server is None:
            raise RuntimeError("FakeIdentity is not running")
        return f"http://{self.host}:{self._server.server_address[1]}"

    @property
    def openid_metadata_url(self) -> str:
        """For ``TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL``."""
        return self.base_url + METADATA_PATH

    def login_url(self, tenant: str = DEFAULT_TENANT) -> str:
        """The authority for ``TO_CHANNEL_FROM_BOT_LOGIN_URL``: ``{base}/{tenant}``."""
        return f"{self.base_url}/{tenant}"

    def token_url(self, tenant: str = DEFAULT_TENANT) -> str:
        """The AAD v2 token endpoint of ``tenant``."""
        return self.login_url(tenant) + TOKEN_SUFFIX

    def configuration(
        self,
        app_id: str = "",
        app_password: str = "",
        *,
        app_type: str = "MultiTenant",
        tenant_id: str | None = None,
    ) -> SimpleNamespace:
        """A configuration object for ``ConfigurationBotFrameworkAuthentication``.

        Setting any ``TO_*``/``OAUTH_URL``/``CALLER_ID`` key selects the SDK's parameterized
        authentication, which then takes every such key literally: a key left out is None (an
        issuer of None rejects every token), so all of them are set here.
        """
        return SimpleNamespace(
            APP_ID=app_id,
            APP_PASSWORD=app_password,
            APP_TYPE=app_type,
            APP_TENANTID=tenant_id,
            TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=self.openid_metadata_url,
            TO_BOT_FROM_CHANNEL_TOKEN_ISSUER=CHANNEL_ISSUER,
            TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL=self.openid_metadata_url,
            TO_CHANNEL_FROM_BOT_LOGIN_URL=self.login_url(tenant_id or DEFAULT_TENANT),
            TO_CHANNEL_FROM_BOT_OAUTH_SCOPE=BOT_FRAMEWORK_SCOPE,
            OAUTH_URL=self.base_url,
            CALLER_ID=PUBLIC_CALLER_ID,
        )

    # -- tokens --------------------------------------------------------------------------------

    def token(
        self,
        app_id: str,
        service_url: str,
        *,
        expired: bool = False,
        issuer: str = CHANNEL_ISSUER,
        key: Literal["good", "forged"] = "good",
        audience: str | None = None,
        extra_claims: Mapping[str, Any] | None = None,
    ) -> str:
        """A channel → bot JWT as the Bot Framework channel service signs it."""
        now = int(time.time())
        # Expired by an hour: the SDK allows five minutes of clock skew.
        issued = now - 7200 if expired else now - 60
        claims: Json = {
            "serviceurl": service_url,
            "nbf": issued,
            "iat": issued,
            "exp": issued + 3600,
            "iss": issuer,
            "aud": audience if audience is not None else app_id,
            **(extra_claims or {}),
        }
        signer = self._good if key == "good" else self._forged
        return signer.sign(claims)

    def bearer(self, app_id: str, service_url: str, **kwargs: Any) -> str:
        """``"Bearer " + token(...)`` — the Authorization header value."""
        return "Bearer " + self.token(app_id, service_url, **kwargs)

    def access_token(self, tenant: str, client_id: str, scope: str) -> str:
        """What the fake AAD hands out: an app-only token for ``scope``."""
        now = int(time.time())
        token = self._good.sign(
            {
                "aud": scope.removesuffix("/.default"),
                "iss": f"https://sts.windows.net/{tenant}/",
                "appid": client_id,
                "tid": tenant,
                "iat": now,
                "nbf": now,
                "exp": now + 3600,
                "jti": uuid.uuid4().hex,
            }
        )
        with self._lock:
            self.issued_tokens.append(token)
        return token

    # -- HTTP answers (called on the server's threads) -----------------------------------------

    def _metadata(self) -> Json:
        with self._lock:
            self.metadata_fetches += 1
        return {
            "issuer": CHANNEL_ISSUER,
            "authorization_endpoint": self.base_url + "/v1/authorize",
            "jwks_uri": self.base_url + KEYS_PATH,
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        }

    def _keys(self) -> Json:
        with self._lock:
            self.keys_fetches += 1
        return {"keys": [self._good.jwk(self.endorsements)]}

    def _tenant_metadata(self, tenant: str) -> Json:
        return {
            "issuer": f"https://login.microsoftonline.com/{tenant}/v2.0",
            "authorization_endpoint": self.login_url(tenant) + "/oauth2/v2.0/authorize",
            "token_endpoint": self.token_url(tenant),
            "jwks_uri": self.base_url + KEYS_PATH,
        }

    def _token_endpoint(self, tenant: str, form: dict[str, str]) -> tuple[int, Json]:
        status, body = self._grant(tenant, form)
        with self._lock:
            self.token_requests.append(TokenRequest(tenant, form, status, time.monotonic()))
        return status, body

    def _grant(self, tenant: str, form: dict[str, str]) -> tuple[int, Json]:
        if form.get("grant_type") != "client_credentials":
            return 400, _aad_error("unsupported_grant_type", "AADSTS70003: unsupported grant type")
        client_id = form.get("client_id", "")
        if client_id not in self.apps or self.apps[client_id] != form.get("client_secret"):
            return 401, _aad_error(
                "invalid_client", "AADSTS7000215: Invalid client secret provided."
            )
        scope = form.get("scope", "")
        if not scope.endswith("/.default"):
            return 400, _aad_error("invalid_scope", "AADSTS1002012: scope must end in /.default")
        token = self.access_token(tenant, client_id, scope)
        return 200, {
            "token_type": "Bearer",
            "expires_in": 3599,
            "ext_expires_in": 3599,
            "access_token": token,
        }


def _aad_error(error: str, description: str) -> Json:
    return {
        "error": error,
        "error_description": description,
        "error_codes": [],
        "trace_id": uuid.uuid4().hex,
    }


def _handler_for(identity: FakeIdentity) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = urlparse(self.path).path
            if path == METADATA_PATH:
                self._answer(200, identity._metadata())
            elif path == KEYS_PATH:
                self._answer(200, identity._keys())
            elif path.endswith("/v2.0/.well-known/openid-configuration"):
                self._answer(200, identity._tenant_metadata(path.strip("/").split("/")[0]))
            else:
                self._answer(404, {"error": "not_found"})

        def do_POST(self) -> None:
            path = urlparse(self.path).path
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            if not path.endswith(TOKEN_SUFFIX):
                self._answer(404, {"error": "not_found"})
                return
            tenant = path.removesuffix(TOKEN_SUFFIX).strip("/")
            self._answer(*identity._token_endpoint(tenant, dict(parse_qsl(raw))))

        def _answer(self, status: int, body: Json) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read ``token_requests`` instead."""

    return Handler


# -- outgoing tokens without msal --------------------------------------------------------------


class LoopbackAadCredentials(MicrosoftAppCredentials):  # type: ignore[misc]
    """``MicrosoftAppCredentials`` whose token comes from a loopback AAD token endpoint.

    Replaces exactly one thing on the real path: ``MicrosoftAppCredentials.get_access_token``
    (msal's ``ConfidentialClientApplication``: authority validation, instance and tenant discovery,
    and the client-credentials POST). It makes the same client-credentials POST itself, to
    ``{authority}/oauth2/v2.0/token``, synchronously as msal does. Everything around it is the
    SDK's own: ``AppCredentials.signed_session`` puts ``Authorization: Bearer ...`` on the
    msrest session, or no header at all for the empty (local mode) credentials.
    """

    def __init__(
        self, app_id: str, password: str, *, authority: str, oauth_scope: str | None
    ) -> None:
        host = urlparse(authority).hostname
        if host not in LOOPBACK_HOSTS:
            raise ValueError(
                f"{authority!r} is not a loopback authority: tests never leave this machine"
            )
        super().__init__(app_id, password, oauth_scope=oauth_scope)
        self.oauth_endpoint = authority.rstrip("/")
        self._token: str | None = None

    def get_access_token(self, force_refresh: bool = False) -> str:
        """A token for ``oauth_scope``, fetched once per credentials object (msal caches per app too)."""
        if self._token and not force_refresh:
            return self._token
        scope = (
            self.oauth_scope
            if self.oauth_scope.endswith("/.default")
            else self.oauth_scope + "/.default"
        )
        form = {
            "grant_type": "client_credentials",
            "client_id": self.microsoft_app_id,
            "client_secret": self.microsoft_app_password,
            "scope": scope,
        }
        body = requests.post(self.oauth_endpoint + TOKEN_SUFFIX, data=form, timeout=5).json()
        if "access_token" not in body:
            raise PermissionError(  # the same message MicrosoftAppCredentials raises
                f"Failed to get access token with error: {body.get('error', 'Unknown error')}, "
                f"error_description: {body.get('error_description', 'Unknown error description')}"
            )
        self._token = str(body["access_token"])
        return self._token


class LoopbackAadCredentialFactory(PasswordServiceClientCredentialFactory):  # type: ignore[misc]
    """``PasswordServiceClientCredentialFactory`` handing out :class:`LoopbackAadCredentials`.

    Pass it as ``ConfigurationBotFrameworkAuthentication(config, credentials_factory=...)``. App id
    checks (``is_valid_app_id``, ``is_authentication_disabled``) are the SDK's, unchanged; the
    authority is the ``login_endpoint`` the SDK passes in, i.e. the configuration's
    ``TO_CHANNEL_FROM_BOT_LOGIN_URL`` — exactly as the SDK's private-cloud credentials use it.
    """

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> MicrosoftAppCredentials:
        if await self.is_authentication_disabled():
            return MicrosoftAppCredentials.empty()
        if not await self.is_valid_app_id(app_id):
            raise PermissionError(f"Invalid app_id {app_id!r}")
        return LoopbackAadCredentials(
            app_id, self.password, authority=login_endpoint, oauth_scope=oauth_scope
        )
