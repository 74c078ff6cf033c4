"""Token requests that go wrong, and what the caller sees: the provider's own
message, typed errors, and never a token or secret in a message or a log."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from quart_oauthlib import (
    DeadlineExceededError,
    OAuth1Session,
    TokenMissing,
    TokenNotFoundError,
    TokenRequestDenied,
    TokenResponseError,
    VerifierMissing,
)
from tests.fake_provider.oauth1 import (
    CALLBACK,
    CLIENT_KEY,
    CLIENT_SECRET,
    OAuth1Provider,
    running_provider,
)
from tests.fake_provider.serving import TLS, serve

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[OAuth1Provider]:
    async with running_provider(tls) as p:
        yield p


def session(tls: TLS, *args: Any, **kwargs: Any) -> OAuth1Session:
    kwargs.setdefault("connector", aiohttp.TCPConnector(ssl=tls.client_context))
    return OAuth1Session(*args, **kwargs)


@asynccontextmanager
async def token_endpoint(tls: TLS, handler: Handler) -> AsyncIterator[str]:
    """A misbehaving token endpoint at ``/token``."""
    app = web.Application()
    app.router.add_post("/token", handler)
    async with serve(app, tls) as url:
        yield str(url.with_path("/token"))


def answer(body: str, status: int = 200, content_type: str = "text/plain") -> Handler:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=status, text=body, content_type=content_type)

    return handler


async def test_refused_request_token_carries_the_providers_message(
    provider: OAuth1Provider, tls: TLS
) -> None:
    async with session(tls, "short", client_secret=CLIENT_SECRET, callback_uri=CALLBACK) as oauth:
        with pytest.raises(TokenRequestDenied) as caught:
            await oauth.fetch_request_token(provider.url("/oauth/request_token"))
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.status == error.status_code == 400
    assert "error_description=Invalid+client+key+format" in error.text
    assert "Invalid+client+key+format" in str(error) and "400" in str(error)
    assert CLIENT_SECRET not in str(error)


async def test_wrong_secret_is_refused(provider: OAuth1Provider, tls: TLS) -> None:
    async with session(tls, CLIENT_KEY, client_secret="wrong", callback_uri=CALLBACK) as oauth:
        with pytest.raises(TokenRequestDenied) as caught:
            await oauth.fetch_request_token(provider.url("/oauth/request_token"))
    assert caught.value.status_code == 401
    assert not oauth.token  # nothing was taken from the refusal


async def test_answer_without_oauth_token(tls: TLS) -> None:
    async with (
        token_endpoint(tls, answer("oauth_token_secret=very-secret&x=1")) as url,
        session(tls, CLIENT_KEY, client_secret=CLIENT_SECRET, callback_uri=CALLBACK) as oauth,
    ):
        with pytest.raises(TokenMissing) as caught:
            await oauth.fetch_request_token(url)
    assert caught.value.keys == ["oauth_token_secret", "x"]
    assert caught.value.status == 200
    assert "very-secret" not in str(caught.value)
    assert isinstance(caught.value, ValueError)


async def test_answer_that_is_no_token_at_all(tls: TLS) -> None:
    body = "<html>oauth_token=abc def</html>"
    async with (
        token_endpoint(tls, answer(body, content_type="text/html")) as url,
        session(tls, CLIENT_KEY, client_secret=CLIENT_SECRET, callback_uri=CALLBACK) as oauth,
    ):
        with pytest.raises(TokenMissing, match="text/html") as caught:
            await oauth.fetch_request_token(url)
    assert "abc" not in str(caught.value)


async def test_json_answer_is_accepted(tls: TLS) -> None:
    body = '{"oauth_token": "tok", "oauth_token_secret": "sec", "user_id": 42}'
    async with (
        token_endpoint(tls, answer(body, content_type="application/json")) as url,
        session(tls, CLIENT_KEY, client_secret=CLIENT_SECRET, callback_uri=CALLBACK) as oauth,
    ):
        token = await oauth.fetch_request_token(url)
    assert token == {"oauth_token": "tok", "oauth_token_secret": "sec", "user_id": "42"}
    assert oauth.token == {"oauth_token": "tok", "oauth_token_secret": "sec"}


async def test_oversized_answer(tls: TLS) -> None:
    async with (
        token_endpoint(tls, answer("oauth_token=" + "a" * 5000)) as url,
        session(tls, CLIENT_KEY, client_secret=CLIENT_SECRET, callback_uri=CALLBACK) as oauth,
    ):
        oauth.max_token_bytes = 1000
        with pytest.raises(TokenResponseError, match="1000"):
            await oauth.fetch_request_token(url)


async def test_slow_answer_hits_the_deadline(tls: TLS) -> None:
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"oauth_token=")
        async with asyncio.timeout(5):
            await release.wait()
        return response

    async with (
        token_endpoint(tls, slow) as url,
        session(tls, CLIENT_KEY, client_secret=CLIENT_SECRET, callback_uri=CALLBACK) as oauth,
    ):
        oauth.token_timeout = 0.3
        with pytest.raises(DeadlineExceededError, match="request token"):
            await oauth.fetch_request_token(url)
        release.set()


async def test_access_token_needs_a_verifier(provider: OAuth1Provider, tls: TLS) -> None:
    async with session(
        tls, CLIENT_KEY, CLIENT_SECRET, "requesttokenrequesttoken", "secret"
    ) as oauth:
        with pytest.raises(VerifierMissing):
            await oauth.fetch_access_token(provider.url("/oauth/access_token"))
    assert "access_token" not in provider.state.calls


async def test_a_refused_access_token_keeps_the_verifier(
    provider: OAuth1Provider, tls: TLS
) -> None:
    async with session(tls, CLIENT_KEY, CLIENT_SECRET, "unknowntokenunknowntoken", "s") as oauth:
        oauth.parse_authorization_response(
            "https://127.0.0.1/callback?oauth_token=unknowntokenunknowntoken&oauth_verifier=v"
        )
        with pytest.raises(TokenRequestDenied):
            await oauth.fetch_access_token(provider.url("/oauth/access_token"))
        assert oauth.token["oauth_verifier"] == "v"


def test_callback_without_oauth_token() -> None:
    oauth = OAuth1Session(CLIENT_KEY, client_secret=CLIENT_SECRET)
    with pytest.raises(TokenMissing, match="oauth_verifier"):
        oauth.parse_authorization_response("https://127.0.0.1/callback?oauth_verifier=v")
    with pytest.raises(TokenMissing):
        oauth.token = {"oauth_token_secret": "s"}
    with pytest.raises(TokenNotFoundError):
        oauth.authorization_url("https://provider.example/authorize")
    url = oauth.authorization_url("https://provider.example/authorize", "tok", foo="bar")
    assert URL(url).query == {"foo": "bar", "oauth_token": "tok"}


async def test_no_token_or_secret_is_logged(
    provider: OAuth1Provider,
    tls: TLS,
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with session(tls, CLIENT_KEY, CLIENT_SECRET, callback_uri=CALLBACK) as oauth:
        request_token = await oauth.fetch_request_token(provider.url("/oauth/request_token"))
        async with http.get(
            oauth.authorization_url(provider.url("/oauth/authorize")), allow_redirects=False
        ) as resp:
            callback = resp.headers["Location"]
        verifier = oauth.parse_authorization_response(callback)["oauth_verifier"]
        access_token = await oauth.fetch_access_token(provider.url("/oauth/access_token"))
        async with oauth.get(provider.url("/api/echo")) as resp:
            assert resp.status == 200
    secrets = {CLIENT_SECRET, verifier, *request_token.values(), *access_token.values()}
    secrets.discard("true")
    secrets.discard("profile")
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("quart_oauthlib")]
    assert ours, "the session logs its token requests"
    assert not [message for message in ours if any(s in message for s in secrets)]
