"""The three refresh styles of the seed (3.2.6), and refresh under concurrency."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from oauthlib.oauth2 import BackendApplicationClient, TokenExpiredError

from quart_oauthlib import ConfigurationError, OAuth2Session, TokenRefreshError, TokenUpdated
from tests.fake_provider.oauth2 import OAuth2Provider, running_provider
from tests.fake_provider.serving import TLS


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[OAuth2Provider]:
    async with running_provider(tls) as p:
        yield p


def expired(provider: OAuth2Provider) -> dict[str, Any]:
    """A real token from the provider, that the client believes expired (seed: '-30')."""
    token = provider.issue_token()
    token["expires_in"] = "-30"
    token.pop("expires_at", None)
    return token


def session(tls: TLS, *args: Any, **kwargs: Any) -> OAuth2Session:
    return OAuth2Session(*args, connector=aiohttp.TCPConnector(ssl=tls.client_context), **kwargs)


EXTRA = {"client_id": "web-client", "client_secret": "web-secret"}


async def test_first_style_token_expired_error_then_manual_refresh(
    provider: OAuth2Provider, tls: TLS
) -> None:
    saved: list[dict[str, Any]] = []

    async def token_saver(token: dict[str, Any]) -> None:
        saved.append(token)

    token = expired(provider)
    client = session(tls, "web-client", token=token)
    try:
        await client.get(provider.url("/api/user"))
    except TokenExpiredError:
        token = await client.refresh_token(provider.url("/token"), **EXTRA)
        await token_saver(token)
    else:
        pytest.fail("an expired token must raise TokenExpiredError")
    finally:
        await client.close()
    assert provider.grant_counts["refresh_token"] == 1
    async with session(tls, "web-client", token=token) as client:
        async with client.get(provider.url("/api/user")) as resp:
            assert resp.status == 200
    assert saved == [token]


async def test_second_style_token_updated_carries_the_new_token(
    provider: OAuth2Provider, tls: TLS
) -> None:
    old = expired(provider)
    async with session(
        tls,
        "web-client",
        token=old,
        auto_refresh_kwargs=EXTRA,
        auto_refresh_url=provider.url("/token"),
    ) as client:
        with pytest.raises(TokenUpdated) as caught:
            await client.get(provider.url("/api/user"))
        new = caught.value.token
        assert new["access_token"] != old["access_token"]
        assert client.token["access_token"] == new["access_token"]
        async with client.get(provider.url("/api/user")) as resp:  # no second refresh
            assert resp.status == 200
    assert provider.grant_counts["refresh_token"] == 1


@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_third_style_automatic_refresh_and_update(
    provider: OAuth2Provider, tls: TLS, kind: str
) -> None:
    saved: list[dict[str, Any]] = []

    async def async_saver(token: dict[str, Any]) -> None:
        saved.append(token)

    updater = async_saver if kind == "async" else saved.append
    async with session(
        tls,
        "web-client",
        token=expired(provider),
        auto_refresh_url=provider.url("/token"),
        auto_refresh_kwargs=EXTRA,
        token_updater=updater,
    ) as client:
        async with client.get(provider.url("/api/user")) as resp:
            assert resp.status == 200
        assert saved == [client.token]
        assert saved[0]["expires_at"] > time.time() + 3000


async def test_session_keeps_client_credentials_for_refresh(
    provider: OAuth2Provider, tls: TLS
) -> None:
    """No auto_refresh_kwargs: the secret given once is enough (Basic, as for the token)."""
    async with session(
        tls,
        "web-client",
        token=expired(provider),
        client_secret="web-secret",
        auto_refresh_url=provider.url("/token"),
        token_updater=lambda token: None,
    ) as client:
        async with client.get(provider.url("/api/user")) as resp:
            assert resp.status == 200
    assert provider.token_requests[-1]["client_auth"] == "client_secret_basic"


async def test_refresh_margin_refreshes_just_before_expiry(
    provider: OAuth2Provider, tls: TLS
) -> None:
    token = provider.issue_token()
    token["expires_at"] = time.time() + 10  # valid, but within the 30 s margin
    async with session(
        tls,
        "web-client",
        token=token,
        client_secret="web-secret",
        auto_refresh_url=provider.url("/token"),
        token_updater=lambda t: None,
    ) as client:
        await (await client.get(provider.url("/api/user"))).release()
    assert provider.grant_counts["refresh_token"] == 1
    async with session(
        tls, "web-client", token=dict(token, expires_at=time.time() + 10), refresh_margin=5
    ) as client:  # outside a 5 s margin: no refresh, no error
        async with client.get(provider.url("/api/user")) as resp:
            assert resp.status == 200


async def test_refresh_storm_sends_exactly_one_grant(tls: TLS) -> None:
    async with running_provider(tls) as provider:
        provider.quirks.refresh_delay_seconds = 0.2  # let all 200 pile up behind it
        updates: list[dict[str, Any]] = []
        async with session(
            tls,
            "web-client",
            token=expired(provider),
            client_secret="web-secret",
            auto_refresh_url=provider.url("/token"),
            token_updater=updates.append,
        ) as client:

            async def one() -> int:
                async with client.get(provider.url("/api/user")) as resp:
                    return resp.status

            statuses = await asyncio.gather(*(one() for _ in range(200)))
        assert statuses == [200] * 200
        assert provider.grant_counts["refresh_token"] == 1
        assert len(updates) == 1


@pytest.mark.parametrize("error", ["invalid_grant", "server_error"])
async def test_failed_refresh_keeps_old_token_and_fails_every_waiter(tls: TLS, error: str) -> None:
    async with running_provider(tls) as provider:
        provider.quirks.fail_refresh_with = error
        provider.quirks.refresh_delay_seconds = 0.1
        old = expired(provider)
        updates: list[dict[str, Any]] = []
        async with session(
            tls,
            "web-client",
            token=old,
            client_secret="web-secret",
            auto_refresh_url=provider.url("/token"),
            token_updater=updates.append,
        ) as client:
            results = await asyncio.gather(
                *(client.get(provider.url("/api/user")) for _ in range(20)),
                return_exceptions=True,
            )
            assert all(isinstance(r, TokenRefreshError) for r in results)
            assert {r.error for r in results if isinstance(r, TokenRefreshError)} == {error}
            assert results[0].needs_login is (error == "invalid_grant")  # type: ignore[union-attr]
            assert client.token["access_token"] == old["access_token"]
            assert client.token["refresh_token"] == old["refresh_token"]
        assert provider.grant_counts["refresh_token"] == 1
        assert updates == []


async def test_rotated_refresh_token_is_used_for_the_next_refresh(tls: TLS) -> None:
    async with running_provider(tls, rotate_refresh_tokens=True) as provider:
        async with session(
            tls,
            "web-client",
            token=expired(provider),
            client_secret="web-secret",
            auto_refresh_url=provider.url("/token"),
            token_updater=lambda t: None,
        ) as client:
            await (await client.get(provider.url("/api/user"))).release()
            first_refresh_token = client.token["refresh_token"]
            client.token = dict(client.token, expires_at=time.time() - 1)
            async with client.get(provider.url("/api/user")) as resp:
                assert resp.status == 200
            assert client.token["refresh_token"] != first_refresh_token
        assert provider.grant_counts["refresh_token"] == 2


async def test_client_credentials_token_is_fetched_again_when_expired(
    provider: OAuth2Provider, tls: TLS
) -> None:
    client = BackendApplicationClient(client_id="web-client")
    async with session(
        tls,
        client=client,
        client_secret="web-secret",
        auto_refresh_url=provider.url("/token"),
        token_updater=lambda t: None,
    ) as oauth:
        await oauth.fetch_token(provider.url("/token"))
        oauth.token = dict(oauth.token, expires_at=time.time() - 1)
        async with oauth.get(provider.url("/api/user")) as resp:
            assert resp.status == 200
    assert provider.grant_counts["client_credentials"] == 2
    assert provider.grant_counts["refresh_token"] == 0


async def test_cancelled_waiter_does_not_cancel_the_refresh(tls: TLS) -> None:
    async with running_provider(tls) as provider:
        provider.quirks.refresh_delay_seconds = 0.3
        async with session(
            tls,
            "web-client",
            token=expired(provider),
            client_secret="web-secret",
            auto_refresh_url=provider.url("/token"),
            token_updater=lambda t: None,
        ) as client:
            first = asyncio.ensure_future(client.get(provider.url("/api/user")))
            await asyncio.sleep(0.05)
            second = asyncio.ensure_future(client.get(provider.url("/api/user")))
            await asyncio.sleep(0.05)
            first.cancel()
            resp = await second
            assert resp.status == 200
            resp.release()
        assert provider.grant_counts["refresh_token"] == 1


async def test_renew_token_refreshes_a_valid_token_once_for_concurrent_callers(
    tls: TLS, provider: OAuth2Provider
) -> None:
    provider.quirks.refresh_delay_seconds = 0.1
    old = provider.issue_token()  # valid for an hour: only an explicit renewal refreshes it
    saved: list[dict[str, Any]] = []
    async with session(
        tls,
        "web-client",
        token=old,
        auto_refresh_url=provider.url("/token"),
        auto_refresh_kwargs=EXTRA,
        token_updater=saved.append,
    ) as client:
        tokens = await asyncio.gather(*(client.renew_token() for _ in range(5)))
        async with client.get(provider.url("/api/user")) as resp:
            assert resp.status == 200
    assert provider.grant_counts["refresh_token"] == 1
    assert {t["access_token"] for t in tokens} == {saved[0]["access_token"]}
    assert len(saved) == 1
    assert saved[0]["access_token"] != old["access_token"]
    assert not provider.is_active(old["refresh_token"])  # rotated...
    assert provider.is_active(saved[0]["refresh_token"])  # ...and never replayed


async def test_renew_token_without_updater_returns_the_token(
    tls: TLS, provider: OAuth2Provider
) -> None:
    async with session(
        tls,
        "web-client",
        token=provider.issue_token(),
        auto_refresh_url=provider.url("/token"),
        auto_refresh_kwargs=EXTRA,
    ) as client:
        new = await client.renew_token()  # no TokenUpdated: the caller asked for it
        assert client.token["access_token"] == new["access_token"]


async def test_renew_token_needs_a_refresh_url(tls: TLS, provider: OAuth2Provider) -> None:
    async with session(tls, "web-client", token=provider.issue_token()) as client:
        with pytest.raises(ConfigurationError, match="auto_refresh_url"):
            await client.renew_token()
    assert provider.grant_counts["refresh_token"] == 0


async def test_refused_renewal_keeps_the_token(tls: TLS, provider: OAuth2Provider) -> None:
    provider.quirks.fail_refresh_with = "invalid_grant"
    old = provider.issue_token()
    async with session(
        tls,
        "web-client",
        token=old,
        auto_refresh_url=provider.url("/token"),
        auto_refresh_kwargs=EXTRA,
    ) as client:
        with pytest.raises(TokenRefreshError) as caught:
            await client.renew_token()
        assert caught.value.needs_login
        assert client.token["access_token"] == old["access_token"]
