"""A real OAuth 1 provider (RFC 5849) for the test-suite.

oauthlib's server side verifies every signature: :class:`RequestTokenEndpoint`,
:class:`AuthorizationEndpoint`, :class:`AccessTokenEndpoint` and
:class:`ResourceEndpoint`, with the :class:`Validator` below (nonce replay,
timestamps, key formats, realms, RSA public keys). This module only adapts
them to ``aiohttp.web`` and records what each protected call received.

Endpoints:

* ``POST /oauth/request_token``, ``GET /oauth/authorize`` (the user approves
  at once: a 302 to the callback with ``oauth_token`` and ``oauth_verifier``),
  ``POST /oauth/access_token``.
* ``* /api/echo`` and ``/api/echo/<anything>``: a protected resource; answers
  what oauthlib verified.
* ``* /api/redirect?to=<url>&status=302``: a protected redirect.
* ``* /userinfo/<anything>``: a protected userinfo endpoint answering
  :attr:`OAuth1Provider.userinfo` as JSON (Tumblr's ``/v2/user/info`` shape
  by default), so that a preset's path and query can be kept under it.
* ``* /open/echo``: unprotected; answers what it received (for other origins).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from oauthlib.common import Request, generate_token
from oauthlib.oauth1 import (
    AccessTokenEndpoint,
    AuthorizationEndpoint,
    OAuth1Error,
    RequestTokenEndpoint,
    RequestValidator,
    ResourceEndpoint,
)
from yarl import URL

from tests.fake_provider.serving import TLS, serve

__all__ = [
    "CALLBACK",
    "CLIENT_KEY",
    "CLIENT_SECRET",
    "ESCAPED_CLIENT_KEY",
    "ESCAPED_CLIENT_SECRET",
    "PLAIN_CLIENT_KEY",
    "PLAIN_CLIENT_SECRET",
    "RSA_CLIENT_KEY",
    "TUMBLR_USER_INFO",
    "OAuth1Provider",
    "running_provider",
]

CLIENT_KEY = "quartoauthlibclient01"
# Characters that need escaping, so that secrets are encoded the same on both sides.
CLIENT_SECRET = "s3cret & more/ü"
RSA_CLIENT_KEY = "quartoauthlibrsaclient"
# oauthlib's server decodes oauth_* values from a query or body twice (once as
# form data in urldecode, once more in signature.collect_parameters), so a
# PLAINTEXT signature (the escaped secrets themselves) verifies there only when
# escaping leaves the secrets unchanged. Header signatures are decoded once.
# tests/client/test_oauth1_flows.py shows both with ESCAPED_CLIENT_SECRET.
PLAIN_CLIENT_KEY = "quartoauthlibplainclient"
PLAIN_CLIENT_SECRET = "plainsecretwithoutescapes"
# Every character class RFC 5849 §3.6 escapes: reserved, space, "%", non-ASCII.
ESCAPED_CLIENT_KEY = "quartoauthlibescapedclient"
ESCAPED_CLIENT_SECRET = "c&s=1+2 100%/ü€~"
CALLBACK = "https://127.0.0.1/callback"
REALMS = ["photos", "profile"]
# GET /v2/user/info as Tumblr documents it (tests/providers/data/tumblr.json).
TUMBLR_USER_INFO: dict[str, Any] = {
    "meta": {"status": 200, "msg": "OK"},
    "response": {"user": {"name": "derekg", "likes": 606, "blogs": [{"name": "derekg"}]}},
}
# oauthlib's server side logs signature base strings and secrets at DEBUG.
SERVER_LOGGERS = ("oauthlib.oauth1.rfc5849", "oauthlib.oauth1.rfc5849.endpoints")


@dataclass
class Seen:
    """What a resource endpoint received, and what oauthlib made of it."""

    path: str
    method: str
    valid: bool
    authorization: str | None
    query: str
    body: str
    content_type: str


@dataclass
class State:
    clients: dict[str, str | None]  # client key -> secret (None for RSA clients)
    rsa_public_key: str | None = None
    request_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    access_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    nonces: set[tuple[str, ...]] = field(default_factory=set)
    calls: dict[str, int] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)


class Validator(RequestValidator):
    """oauthlib's validator over :class:`State`; dictionaries stand for a database."""

    def __init__(self, state: State):
        super().__init__()
        self.state = state

    # Formats: oauthlib's defaults, with room for the test client keys.
    @property
    def client_key_length(self) -> tuple[int, int]:
        return 20, 40

    @property
    def nonce_length(self) -> tuple[int, int]:
        return 16, 64

    @property
    def realms(self) -> list[str]:
        return REALMS

    @property
    def dummy_client(self) -> str:
        return "dummyclientkeydummyclient"

    @property
    def dummy_request_token(self) -> str:
        return "dummyrequesttokendummyrequest"

    @property
    def dummy_access_token(self) -> str:
        return "dummyaccesstokendummyaccess"

    def get_client_secret(self, client_key: str, request: Request) -> str:
        return self.state.clients.get(client_key) or "dummy-secret"

    def get_rsa_key(self, client_key: str, request: Request) -> str:
        assert self.state.rsa_public_key is not None
        return self.state.rsa_public_key

    def get_request_token_secret(self, client_key: str, token: str, request: Request) -> str:
        record = self.state.request_tokens.get(token)
        return record["secret"] if record else "dummy-secret"

    def get_access_token_secret(self, client_key: str, token: str, request: Request) -> str:
        record = self.state.access_tokens.get(token)
        return record["secret"] if record else "dummy-secret"

    def get_default_realms(self, client_key: str, request: Request) -> list[str]:
        return ["profile"]

    def get_realms(self, token: str, request: Request) -> list[str]:
        record = self.state.request_tokens.get(token) or {}
        realms: list[str] = record.get("realms", [])
        return realms

    def get_redirect_uri(self, token: str, request: Request) -> str:
        callback: str = self.state.request_tokens[token]["callback"]
        return callback

    def validate_client_key(self, client_key: str, request: Request) -> bool:
        return client_key in self.state.clients

    def validate_request_token(self, client_key: str, token: str, request: Request) -> bool:
        record = self.state.request_tokens.get(token)
        return record is not None and record["client_key"] == client_key

    def validate_access_token(self, client_key: str, token: str, request: Request) -> bool:
        record = self.state.access_tokens.get(token)
        return record is not None and record["client_key"] == client_key

    def validate_timestamp_and_nonce(
        self,
        client_key: str,
        timestamp: str,
        nonce: str,
        request: Request,
        request_token: str | None = None,
        access_token: str | None = None,
    ) -> bool:
        key = (client_key, timestamp, nonce, request_token or "", access_token or "")
        if key in self.state.nonces:
            return False
        self.state.nonces.add(key)
        return True

    def validate_redirect_uri(self, client_key: str, redirect_uri: str, request: Request) -> bool:
        return redirect_uri == "oob" or redirect_uri.startswith("https://127.0.0.1/")

    def validate_requested_realms(
        self, client_key: str, realms: list[str], request: Request
    ) -> bool:
        return set(realms) <= set(REALMS)

    def validate_realms(
        self,
        client_key: str,
        token: str,
        request: Request,
        uri: str | None = None,
        realms: list[str] | None = None,
    ) -> bool:
        # oauthlib asks about its dummy token too, when the real one is unknown.
        record = self.state.access_tokens.get(token)
        return record is not None and set(realms or []) <= set(record["realms"])

    def validate_verifier(
        self, client_key: str, token: str, verifier: str, request: Request
    ) -> bool:
        record = self.state.request_tokens.get(token)
        return record is not None and record.get("verifier") == verifier

    def verify_request_token(self, token: str, request: Request) -> bool:
        return token in self.state.request_tokens

    def verify_realms(self, token: str, realms: list[str], request: Request) -> bool:
        return set(realms) <= set(self.state.request_tokens[token]["realms"])

    def save_request_token(self, token: dict[str, str], request: Request) -> None:  # type: ignore[override]  # oauthlib passes the token dict
        self.state.request_tokens[token["oauth_token"]] = {
            "secret": token["oauth_token_secret"],
            "client_key": request.client_key,
            "callback": request.redirect_uri,
            "realms": request.realms,
        }

    def save_verifier(self, token: str, verifier: dict[str, str], request: Request) -> None:
        self.state.request_tokens[token]["verifier"] = verifier["oauth_verifier"]

    def invalidate_request_token(
        self, client_key: str, request_token: str, request: Request
    ) -> None:
        self.state.request_tokens.pop(request_token, None)

    def save_access_token(self, token: dict[str, str], request: Request) -> None:  # type: ignore[override]  # oauthlib passes the token dict
        self.state.access_tokens[token["oauth_token"]] = {
            "secret": token["oauth_token_secret"],
            "client_key": request.client_key,
            "realms": request.realms,
        }


class OAuth1Provider:
    """The provider's state and its ``aiohttp.web`` application."""

    def __init__(self, rsa_public_key: str | None = None):
        clients: dict[str, str | None] = {
            CLIENT_KEY: CLIENT_SECRET,
            PLAIN_CLIENT_KEY: PLAIN_CLIENT_SECRET,
            ESCAPED_CLIENT_KEY: ESCAPED_CLIENT_SECRET,
            RSA_CLIENT_KEY: None,
        }
        self.state = State(clients=clients, rsa_public_key=rsa_public_key)
        #: Makes the secrets of the request and access tokens issued (oauthlib's
        #: own are ``generate_token()``: letters and digits only).
        self.token_secret: Callable[[], str] | None = None
        #: What ``/userinfo/...`` answers to a validly signed request.
        self.userinfo: Any = TUMBLR_USER_INFO
        validator = Validator(self.state)
        self._request_token = RequestTokenEndpoint(validator)
        self._authorize = AuthorizationEndpoint(validator)
        self._access_token = AccessTokenEndpoint(validator)
        self._resource = ResourceEndpoint(validator)
        self.base_url = URL()
        self.app = web.Application()
        self.app.router.add_post("/oauth/request_token", self._handle_request_token)
        self.app.router.add_get("/oauth/authorize", self._handle_authorize)
        self.app.router.add_post("/oauth/access_token", self._handle_access_token)
        self.app.router.add_route("*", "/api/echo", self._handle_echo)
        self.app.router.add_route("*", "/api/echo/{tail:.*}", self._handle_echo)
        self.app.router.add_route("*", "/api/redirect", self._handle_redirect)
        self.app.router.add_route("*", "/userinfo/{tail:.*}", self._handle_userinfo)
        self.app.router.add_route("*", "/open/echo", handle_open_echo)

    def url(self, path: str) -> str:
        return str(self.base_url.with_path(path))

    def grant(
        self,
        client_key: str = CLIENT_KEY,
        realms: list[str] | None = None,
        secret: str | None = None,
    ) -> dict[str, str]:
        """Issue an access token directly, as if the dance had been completed."""
        token, secret = generate_token(), secret or generate_token()
        self.state.access_tokens[token] = {
            "secret": secret,
            "client_key": client_key,
            "realms": realms or ["profile"],
        }
        return {"oauth_token": token, "oauth_token_secret": secret}

    @property
    def seen(self) -> list[Seen]:
        return self.state.seen

    def count(self, name: str) -> None:
        self.state.calls[name] = self.state.calls.get(name, 0) + 1

    def _credentials(self) -> dict[str, str]:
        """Extra token credentials, which oauthlib lays over the token it generated."""
        return {"oauth_token_secret": self.token_secret()} if self.token_secret else {}

    async def _handle_request_token(self, request: web.Request) -> web.Response:
        self.count("request_token")
        headers, body, status = self._request_token.create_request_token_response(
            *await _parts(request), credentials=self._credentials()
        )
        return _response(status, headers, body)

    async def _handle_authorize(self, request: web.Request) -> web.Response:
        self.count("authorize")
        uri = str(request.url)
        try:
            realms, _ = self._authorize.get_realms_and_credentials(uri)
            headers, body, status = self._authorize.create_authorization_response(
                uri, realms=realms
            )
        except OAuth1Error as exc:
            return _response(exc.status_code, {}, exc.urlencoded)
        return _response(status, headers, body)

    async def _handle_access_token(self, request: web.Request) -> web.Response:
        self.count("access_token")
        headers, body, status = self._access_token.create_access_token_response(
            *await _parts(request), credentials=self._credentials()
        )
        return _response(status, headers, body)

    async def _verify(self, request: web.Request) -> tuple[bool, Request | None, str]:
        uri, method, body, headers = await _parts(request)
        valid, oauth_request = self._resource.validate_protected_resource_request(
            uri, method, body, headers
        )
        self.state.seen.append(
            Seen(
                path=request.path,
                method=method,
                valid=valid,
                authorization=request.headers.get("Authorization"),
                query=request.url.raw_query_string,
                body=body,
                content_type=request.headers.get("Content-Type", ""),
            )
        )
        return valid, oauth_request, body

    async def _handle_echo(self, request: web.Request) -> web.Response:
        self.count("echo")
        valid, oauth_request, body = await self._verify(request)
        if not valid or oauth_request is None:
            return web.json_response({"error": "invalid signature"}, status=401)
        params = [[k, v] for k, v in oauth_request.params if not k.startswith("oauth_")]
        return web.json_response(
            {
                "client_key": oauth_request.client_key,
                "token": oauth_request.resource_owner_key,
                "signature_method": oauth_request.signature_method,
                "params": params,
                "body": body,
            }
        )

    async def _handle_userinfo(self, request: web.Request) -> web.Response:
        self.count("userinfo")
        valid, _, _ = await self._verify(request)
        if not valid:
            return web.json_response({"error": "invalid signature"}, status=401)
        return web.json_response(self.userinfo)

    async def _handle_redirect(self, request: web.Request) -> web.Response:
        self.count("redirect")
        valid, _, _ = await self._verify(request)
        if not valid:
            return web.json_response({"error": "invalid signature"}, status=401)
        status = int(request.query.get("status", "302"))
        return web.Response(status=status, headers={"Location": request.query["to"]})


async def handle_open_echo(request: web.Request) -> web.Response:
    """Unprotected: answer what arrived, so tests can see what a client sent."""
    return web.json_response(
        {
            "method": request.method,
            "authorization": request.headers.get("Authorization"),
            "query": request.url.raw_query_string,
            "body": await request.text(),
        }
    )


async def _parts(request: web.Request) -> tuple[str, str, str, dict[str, str]]:
    # oauthlib reads only form bodies; any other (an image upload) must not break the echo.
    body = (await request.read()).decode(request.charset or "utf-8", errors="replace")
    return str(request.url), request.method, body, dict(request.headers)


def _response(status: int, headers: dict[str, str], body: str | None) -> web.Response:
    return web.Response(status=status, headers=headers, body=(body or "").encode())


@contextmanager
def quiet_server_logs() -> Iterator[None]:
    """Keep oauthlib's server-side records (full of secrets) away from caplog."""
    loggers = [logging.getLogger(name) for name in SERVER_LOGGERS]
    saved = [logger.propagate for logger in loggers]
    for logger in loggers:
        logger.propagate = False
    try:
        yield
    finally:
        for logger, propagate in zip(loggers, saved, strict=True):
            logger.propagate = propagate


@asynccontextmanager
async def running_provider(
    tls: TLS, rsa_public_key: str | None = None
) -> AsyncIterator[OAuth1Provider]:
    """Serve a new :class:`OAuth1Provider` over TLS on 127.0.0.1."""
    provider = OAuth1Provider(rsa_public_key)
    with quiet_server_logs():
        async with serve(provider.app, tls) as base_url:
            provider.base_url = base_url
            yield provider
