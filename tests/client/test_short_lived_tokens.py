"""Short-lived access tokens: a token is usable when it arrives, and refreshed
a share of its lifetime early, never a fixed 30 s that exceeds the lifetime."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from oauthlib.oauth2 import LegacyApplicationClient, TokenExpiredError

from quart_oauthlib import OAuth2Session
from quart_oauthlib.client.oauth2_auth import (
    DEFAULT_REFRESH_MARGIN,
    OAuth2,
    margin_for,
    token_expired,
)
from tests.fake_provider.oauth2 import OAuth2Provider, running_provider
from tests.fake_provider.serving import TLS


@pytest.fixture(params=[5, 20, 30])
async def provider(request: pytest.FixtureRequest, tls: TLS) -> AsyncIterator[OAuth2Provider]:
    async with running_provider(tls, access_token_lifetime=request.param) as p:
        yield p


def session(tls: TLS, **kwargs: Any) -> OAuth2Session:
    return OAuth2Session(
        client=LegacyApplicationClient("web-client"),
        connector=aiohttp.TCPConnector(ssl=tls.client_context),
        **kwargs,
    )


async def test_a_just_issued_short_lived_token_is_used_not_refreshed(
    provider: OAuth2Provider, tls: TLS
) -> None:
    async with session(
        tls,
        auto_refresh_url=provider.url("/token"),
        auto_refresh_kwargs={"client_id": "web-client", "client_secret": "web-secret"},
    ) as oauth:
        token = await oauth.fetch_token(
            provider.url("/token"),
            username="alice",
            password="wonderland",  # noqa: S106 -- the fake provider's test user
            client_secret="web-secret",
        )
        assert token["expires_in"] == provider.access_token_lifetime
        assert not token_expired(token, DEFAULT_REFRESH_MARGIN)
        async with oauth.get(provider.url("/api/user")) as resp:
            assert resp.status == 200
    assert provider.grant_counts["refresh_token"] == 0


async def test_the_middleware_sends_a_just_issued_short_lived_token(
    provider: OAuth2Provider, tls: TLS
) -> None:
    token = provider.issue_token()
    token["expires_at"] = time.time() + provider.access_token_lifetime
    auth = OAuth2("web-client", token=token, refresh_margin=DEFAULT_REFRESH_MARGIN)
    connector = aiohttp.TCPConnector(ssl=tls.client_context)
    async with aiohttp.ClientSession(connector=connector, middlewares=(auth,)) as http:
        async with http.get(provider.url("/api/user")) as resp:
            assert resp.status == 200


@pytest.mark.parametrize("lifetime", [5, 20, 30])
def test_the_margin_is_a_quarter_of_a_short_lifetime(lifetime: int) -> None:
    margin = margin_for(DEFAULT_REFRESH_MARGIN, lifetime)
    assert margin == lifetime / 4
    now = time.time()
    fresh = {"access_token": "a", "expires_in": lifetime, "expires_at": now + lifetime}
    assert not token_expired(fresh, DEFAULT_REFRESH_MARGIN)
    nearly = {**fresh, "expires_at": now + margin - 0.5}
    assert token_expired(nearly, DEFAULT_REFRESH_MARGIN)


def test_long_lived_and_unknown_lifetimes_keep_the_full_margin() -> None:
    assert margin_for(30.0, 3600) == 30.0
    assert margin_for(30.0, None) == 30.0
    assert margin_for(30.0, -30) == 0.0  # the seed's "expires_in: -30": expired anyway
    soon = {"access_token": "a", "expires_at": time.time() + 20}  # no expires_in: lifetime unknown
    assert token_expired(soon, 30.0)


async def test_a_short_lived_token_near_its_end_is_refreshed(tls: TLS) -> None:
    async with running_provider(tls, access_token_lifetime=20) as provider:
        token = provider.issue_token()
        token["expires_at"] = time.time() + 3  # 3 s left of 20: inside the 5 s margin
        async with session(tls, token=token) as oauth:
            with pytest.raises(TokenExpiredError):
                await oauth.get(provider.url("/api/user"))


@pytest.mark.parametrize(
    ("token", "expires_at"),
    [
        ({"access_token": "a", "token_type": "Bearer", "expires_at": 0}, 0),  # long expired
        ({"access_token": "a", "token_type": "Bearer", "expires_at": "1700000000"}, 1700000000),
        ({"access_token": "a", "token_type": "Bearer", "expires_at": 1.5e9}, 1.5e9),
        ({"access_token": "a", "token_type": "Bearer", "expires_at": "soon"}, None),
        ({"access_token": "a", "token_type": "Bearer"}, None),
    ],
)
def test_the_expiry_set_with_a_token_is_the_one_it_holds(
    token: dict[str, Any], expires_at: float | None
) -> None:
    # The setter takes the expiry oauthlib parsed; a falsy one (0) is parsed again.
    oauth = OAuth2Session("client", token=token)
    assert oauth._expires_at == expires_at
    assert (oauth._fresh_until <= time.time()) is (expires_at is not None)


def test_an_expires_in_token_gets_a_deadline_a_margin_before_it_ends() -> None:
    oauth = OAuth2Session("client", token={"access_token": "a", "expires_in": 3600})
    assert oauth._expires_at is not None
    assert abs(oauth._expires_at - (time.time() + 3600)) < 2
    assert oauth._fresh_until == oauth._expires_at - DEFAULT_REFRESH_MARGIN
