"""Redirects: aiohttp runs the middleware on every hop. Hops on the first origin
are signed again with a fresh nonce; once a chain leaves that origin nothing is
signed and nothing of ours is re-sent. 127.0.0.1 and localhost on another
port are different origins."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from quart_oauthlib import OAuth1, OAuth1Session
from tests.fake_provider.oauth1 import (
    CLIENT_KEY,
    CLIENT_SECRET,
    OAuth1Provider,
    handle_open_echo,
    running_provider,
)
from tests.fake_provider.serving import TLS, serve

PLACEMENTS = ["AUTH_HEADER", "QUERY", "BODY"]


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[OAuth1Provider]:
    async with running_provider(tls) as p:
        yield p


@pytest.fixture
async def other(tls: TLS) -> AsyncIterator[tuple[URL, list[dict[str, Any]]]]:
    """Another origin (``https://localhost:<port>``) that records what reached it."""
    received: list[dict[str, Any]] = []

    async def record(request: web.Request) -> web.Response:
        response = await handle_open_echo(request)
        received.append(
            {
                "authorization": request.headers.get("Authorization"),
                "query": request.url.raw_query_string,
                "body": await request.text(),
            }
        )
        return response

    async def bounce(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": request.query["to"]})

    app = web.Application()
    app.router.add_route("*", "/open/echo", record)
    app.router.add_route("*", "/bounce", bounce)
    async with serve(app, tls) as url:
        yield url.with_host("localhost"), received


@pytest.fixture
async def client(tls: TLS) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tls.client_context)) as s:
        yield s


def signer(provider: OAuth1Provider, placement: str = "AUTH_HEADER") -> OAuth1:
    token = provider.grant()
    return OAuth1(
        CLIENT_KEY,
        CLIENT_SECRET,
        token["oauth_token"],
        token["oauth_token_secret"],
        signature_type=placement,
    )


def redirect(provider: OAuth1Provider, to: str | URL, status: int = 302) -> str:
    return str(URL(provider.url("/api/redirect")).with_query(to=str(to), status=status))


@pytest.mark.parametrize("placement", ["AUTH_HEADER", "QUERY"])
async def test_same_origin_redirect_is_signed_again(
    provider: OAuth1Provider, client: aiohttp.ClientSession, placement: str
) -> None:
    auth = signer(provider, placement)
    url = redirect(provider, "/api/echo?after=redirect")
    async with client.get(url, middlewares=(auth,)) as resp:
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["params"] == [["after", "redirect"]]
        assert len(resp.history) == 1
    first, second = provider.seen
    assert first.valid and second.valid  # a reused nonce would have been refused
    where = "authorization" if placement == "AUTH_HEADER" else "query"
    assert getattr(first, where) != getattr(second, where)


@pytest.mark.parametrize("placement", PLACEMENTS)
@pytest.mark.parametrize("status", [307, 308])
async def test_same_origin_body_preserving_redirect(
    provider: OAuth1Provider, client: aiohttp.ClientSession, placement: str, status: int
) -> None:
    auth = signer(provider, placement)
    url = redirect(provider, "/api/echo", status)
    async with client.post(url, data={"a": "1"}, middlewares=(auth,)) as resp:
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["params"] == [["a", "1"]]
    assert [seen.valid for seen in provider.seen] == [True, True]
    assert provider.seen[1].body.count("oauth_signature=") == (placement == "BODY")


@pytest.mark.parametrize("placement", PLACEMENTS)
async def test_post_redirected_to_get(
    provider: OAuth1Provider, client: aiohttp.ClientSession, placement: str
) -> None:
    """A body signature's POST that a 303 turns into a GET is signed in the query."""
    auth = signer(provider, placement)
    async with client.post(
        redirect(provider, "/api/echo?x=1", 303), data={"a": "1"}, middlewares=(auth,)
    ) as resp:
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["params"] == [["x", "1"]]
    assert provider.seen[1].method == "GET" and provider.seen[1].valid
    assert ("oauth_signature=" in provider.seen[1].query) == (placement != "AUTH_HEADER")
    assert auth.client.signature_type == placement


@pytest.mark.parametrize("placement", PLACEMENTS)
@pytest.mark.parametrize("status", [302, 307])
async def test_cross_origin_redirect_is_not_signed(
    provider: OAuth1Provider,
    client: aiohttp.ClientSession,
    other: tuple[URL, list[dict[str, Any]]],
    placement: str,
    status: int,
) -> None:
    other_url, received = other
    auth = signer(provider, placement)
    target = other_url.with_path("/open/echo").with_query(q="1")
    async with client.post(
        redirect(provider, target, status), data={"a": "1"}, middlewares=(auth,)
    ) as resp:
        assert resp.status == 200, await resp.text()
    assert provider.seen[0].valid
    (hop,) = received
    assert hop["authorization"] is None
    assert hop["query"] == "q=1"
    assert hop["body"] == ("a=1" if status == 307 else "")


async def test_chain_back_to_the_first_origin_stays_unsigned(
    provider: OAuth1Provider,
    client: aiohttp.ClientSession,
    other: tuple[URL, list[dict[str, Any]]],
) -> None:
    """Another origin must not be able to steer a signed request anywhere, home included."""
    other_url, _ = other
    back = other_url.with_path("/bounce").with_query(to=provider.url("/api/echo"))
    async with client.get(redirect(provider, back), middlewares=(signer(provider),)) as resp:
        assert resp.status == 401
    assert [seen.valid for seen in provider.seen] == [True, False]
    assert provider.seen[1].authorization is None


async def test_each_request_starts_its_own_chain(
    provider: OAuth1Provider,
    client: aiohttp.ClientSession,
    other: tuple[URL, list[dict[str, Any]]],
) -> None:
    """A redirect not followed, then a request of the caller's own choosing: signed."""
    other_url, received = other
    auth = signer(provider)
    target = other_url.with_path("/open/echo")
    async with client.get(
        redirect(provider, target), middlewares=(auth,), allow_redirects=False
    ) as resp:
        assert resp.status == 302
        location = resp.headers["Location"]
    async with client.get(location, middlewares=(auth,)) as resp:
        assert resp.status == 200
    assert received[0]["authorization"].startswith("OAuth ")
    async with client.get(provider.url("/api/echo"), middlewares=(auth,)) as resp:
        assert resp.status == 200


async def test_concurrent_chains_do_not_mix(
    provider: OAuth1Provider,
    client: aiohttp.ClientSession,
    other: tuple[URL, list[dict[str, Any]]],
) -> None:
    other_url, received = other
    auth = signer(provider)
    away = redirect(provider, other_url.with_path("/open/echo"))
    home = redirect(provider, "/api/echo")

    async def get(url: str) -> int:
        async with client.get(url, middlewares=(auth,)) as resp:
            return resp.status

    statuses = await asyncio.gather(*(get(away if i % 2 else home) for i in range(20)))
    assert statuses == [200] * 20
    assert all(seen.valid for seen in provider.seen)
    assert len(received) == 10 and all(hop["authorization"] is None for hop in received)


async def test_session_middleware_and_oauth1session_follow_the_same_rules(
    provider: OAuth1Provider, tls: TLS, other: tuple[URL, list[dict[str, Any]]]
) -> None:
    other_url, received = other
    auth = signer(provider)
    connector = aiohttp.TCPConnector(ssl=tls.client_context)
    async with aiohttp.ClientSession(connector=connector, middlewares=(auth,)) as owned:
        async with owned.get(redirect(provider, "/api/echo")) as resp:
            assert resp.status == 200
        async with owned.get(redirect(provider, other_url.with_path("/open/echo"))) as resp:
            assert resp.status == 200
    token = provider.grant()
    async with OAuth1Session(
        CLIENT_KEY,
        CLIENT_SECRET,
        token["oauth_token"],
        token["oauth_token_secret"],
        connector=aiohttp.TCPConnector(ssl=tls.client_context),
    ) as oauth:
        async with oauth.get(redirect(provider, "/api/echo")) as resp:
            assert resp.status == 200
        async with oauth.get(redirect(provider, other_url.with_path("/open/echo"))) as resp:
            assert resp.status == 200
    assert all(seen.valid for seen in provider.seen) and len(provider.seen) == 6
    assert [hop["authorization"] for hop in received] == [None, None]
