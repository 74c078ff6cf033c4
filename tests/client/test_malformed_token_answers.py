"""Whatever a token endpoint answers, fetch_token and refresh end in a typed outcome.

A real aiohttp server on 127.0.0.1 answers each example; Hypothesis varies the
answer's shape. An answer is either a usable token (stored) or a typed error,
and a failed exchange or refresh stores nothing and keeps the old token.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oauthlib.oauth2 import LegacyApplicationClient, OAuth2Error

from quart_oauthlib import OAuth2Session, TokenRefreshError
from quart_oauthlib.client._transport import MAX_TOKEN_RESPONSE_BYTES
from quart_oauthlib.client.oauth2_auth import expires_at_of, token_expired
from quart_oauthlib.errors import TokenResponseError
from tests.fake_provider.serving import TLS, serve

VALID: dict[str, Any] = {
    "access_token": "new-access",
    "token_type": "Bearer",
    "expires_in": 3600,
    "refresh_token": "new-refresh",
    "scope": "read",
}
OLD = {
    "access_token": "old-access",
    "token_type": "Bearer",
    "refresh_token": "old-refresh",
    "expires_in": 3600,
    "expires_at": time.time() - 10,  # expired: the next request refreshes
}
FIELDS = ["access_token", "token_type", "expires_in", "refresh_token", "scope", "id_token"]

#: Bodies no JSON encoder makes, but a provider can send.
RAW_BODIES = [
    '{"access_token":"a","token_type":"Bearer","expires_in":1e400}',
    '{"access_token":"a","token_type":"Bearer","expires_in":NaN}',
    '{"access_token":"a","token_type":"Bearer","expires_in":-Infinity}',
    '{"access_token":"a","token_type":"Bearer","expires_in":' + "9" * 4000 + "}",
    '{"access_token":"a","token_type":"Bearer","expires_in":' + "9" * 5000 + "}",
    '{"access_token":' + "[" * 100_000 + "]" * 100_000 + "}",
    "[" * 100_000 + "]" * 100_000,
    '{"access_token":"a\\r\\nSet-Cookie: x=1","token_type":"Bearer"}',
    '{"access_token":"a\\u0000b","token_type":"Bearer"}',
    '{"access_token":"a","token_type":null}',
    '{"access_token":"a","token_type":"mac","mac_key":"k"}',
    '{"access_token":"a","token_type":"Bearer","scope":42}',
    '{"access_token":"a","token_type":"Bearer","scope":{"read":true}}',
    '["access_token"]',
    '"access_token"',
    "null",
    "1",
    "access_token=a&token_type=Bearer&expires_in=soon",
    "access_token=a&token_type=Bearer&expires_in=%C2%B2",
    "\xff\xfe not utf-8",
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["soon", "", "3600", "-1", "1e3", "Bearer", "bearer", "DPoP", "a\nb"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def mutated_answers(draw: st.DrawFn) -> tuple[str, str]:
    answer = dict(VALID)
    for name in draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3, unique=True)):
        if draw(st.booleans()):
            answer[name] = draw(json_values)
        else:
            answer.pop(name, None)
    return json.dumps(answer), draw(st.sampled_from(["application/json", "text/plain"]))


answers = (
    mutated_answers()
    | st.tuples(st.sampled_from(RAW_BODIES), st.sampled_from(["application/json", "text/html"]))
    | st.tuples(
        st.builds(json.dumps, json_values), st.just("application/json")
    )  # anything JSON at all
)


@dataclass
class Endpoint:
    """A token endpoint whose next answer the test sets."""

    url: str = ""
    body: bytes = b""
    content_type: str = "application/json"
    status: int = 200

    async def handle(self, request: web.Request) -> web.Response:
        await request.read()
        return web.Response(
            body=self.body, status=self.status, headers={"Content-Type": self.content_type}
        )


@pytest.fixture(scope="module")
def runner() -> Iterator[asyncio.Runner]:
    with asyncio.Runner() as r:
        yield r


@pytest.fixture(scope="module")
def endpoint(runner: asyncio.Runner, tls: TLS) -> Iterator[Endpoint]:
    endpoint = Endpoint()
    app = web.Application()
    app.router.add_post("/token", endpoint.handle)
    serving = serve(app, tls)
    endpoint.url = str(runner.run(serving.__aenter__())) + "/token"
    yield endpoint
    runner.run(serving.__aexit__(None, None, None))


def session(tls: TLS, **kwargs: Any) -> OAuth2Session:
    return OAuth2Session(
        client=LegacyApplicationClient("web-client"),
        client_secret="web-secret",  # noqa: S106 -- a test client
        connector=aiohttp.TCPConnector(ssl=tls.client_context),
        **kwargs,
    )


def assert_usable(token: dict[str, Any]) -> None:
    """What a store and the next request need of a token we kept."""
    access = token["access_token"]
    assert isinstance(access, str) and access and access.isprintable() and access.isascii()
    assert str(token.get("token_type", "Bearer")).lower() == "bearer"
    json.dumps(token, allow_nan=False)  # storable
    expires_at = expires_at_of(token)
    assert expires_at is None or math.isfinite(expires_at)
    token_expired(token, 30.0)


TYPED = (TokenResponseError, OAuth2Error)
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(answer=answers)
def test_fetch_token_gives_a_usable_token_or_a_typed_error(
    runner: asyncio.Runner, endpoint: Endpoint, tls: TLS, answer: tuple[str, str]
) -> None:
    endpoint.body, endpoint.content_type = answer[0].encode("utf-8", "surrogatepass"), answer[1]

    async def exchange() -> None:
        async with session(tls) as oauth:
            try:
                token = await oauth.fetch_token(
                    endpoint.url,
                    username="alice",
                    password="wonderland",  # noqa: S106 -- a test user
                )
            except TYPED:
                assert oauth.token == {}  # nothing stored
            else:
                assert_usable(token)
                assert oauth.token == token

    runner.run(exchange())


@SETTINGS
@given(answer=answers)
def test_refresh_keeps_the_old_token_unless_the_answer_is_usable(
    runner: asyncio.Runner, endpoint: Endpoint, tls: TLS, answer: tuple[str, str]
) -> None:
    endpoint.body, endpoint.content_type = answer[0].encode("utf-8", "surrogatepass"), answer[1]
    saved: list[dict[str, Any]] = []

    async def refresh() -> None:
        async with session(
            tls, token=OLD, auto_refresh_url=endpoint.url, token_updater=saved.append
        ) as oauth:
            try:
                await oauth.ensure_active_token()
            except TokenRefreshError as exc:
                assert not exc.needs_login
                assert oauth.token["access_token"] == "old-access"
                assert saved == []
            else:
                assert_usable(oauth.token)
                assert saved == [oauth.token]

    runner.run(refresh())


@pytest.mark.parametrize(
    "body",
    [
        '{"access_token":"a","token_type":"mac","mac_key":"k","mac_algorithm":"hmac-sha-256"}',
        '{"access_token":"a","token_type":"N_A"}',
        '{"access_token":"a","token_type":"DPoP"}',
    ],
)
def test_a_token_type_other_than_bearer_is_refused_at_the_exchange(
    runner: asyncio.Runner, endpoint: Endpoint, tls: TLS, body: str
) -> None:
    endpoint.body, endpoint.content_type = body.encode(), "application/json"

    async def exchange() -> None:
        async with session(tls) as oauth:
            with pytest.raises(TokenResponseError, match="unsupported token_type"):
                await oauth.fetch_token(endpoint.url, username="u", password="p")  # noqa: S106
            assert oauth.token == {}

    runner.run(exchange())


def test_bearer_in_any_case_and_types_the_session_adds_are_accepted(
    runner: asyncio.Runner, endpoint: Endpoint, tls: TLS
) -> None:
    async def exchange(token_type: str, extra: set[str]) -> str:
        body = {"access_token": "a", "token_type": token_type}
        endpoint.body, endpoint.content_type = json.dumps(body).encode(), "application/json"
        async with session(tls) as oauth:
            oauth.token_types |= extra  # the hook a DPoP-capable session uses
            token = await oauth.fetch_token(endpoint.url, username="u", password="p")  # noqa: S106
            return str(token["token_type"])

    assert runner.run(exchange("bearer", set())) == "bearer"
    assert runner.run(exchange("DPoP", {"DPoP"})) == "DPoP"


def test_a_body_over_the_cap_is_refused_unread(
    runner: asyncio.Runner, endpoint: Endpoint, tls: TLS
) -> None:
    padding = "x" * (MAX_TOKEN_RESPONSE_BYTES + 1)
    endpoint.body = json.dumps({**VALID, "padding": padding}).encode()
    endpoint.content_type = "application/json"

    async def exchange() -> None:
        async with session(tls) as oauth:
            with pytest.raises(TokenResponseError, match="allowed"):
                await oauth.fetch_token(endpoint.url, username="u", password="p")  # noqa: S106

    runner.run(exchange())
