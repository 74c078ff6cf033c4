"""A dead access token (RFC 6750 ``invalid_token``): one refresh and retry, or sign in again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from quart import jsonify
from yarl import URL

from quart_oauthlib import MemoryTokenStore, QuartOAuth
from tests.ext import oidc_support
from tests.ext.conftest import corp_settings, login, make_app
from tests.fake_provider.oauth2 import OAuth2Provider
from tests.fake_provider.serving import TLS

JSON = {"Accept": "application/json"}


def restart(provider: OAuth2Provider) -> None:
    """As if the provider restarted: every token it issued is forgotten."""
    provider.store.access_tokens.clear()
    provider.store.refresh_tokens.clear()


async def test_a_revoked_access_token_is_refreshed_once_and_the_call_retried(
    tls: TLS, provider: OAuth2Provider
) -> None:
    store = MemoryTokenStore()
    app, _ = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        ((_, old),) = store._tokens.items()
        provider.store.access_tokens.clear()  # revoked; the refresh token still works
        calls = provider.resource_requests
        response = await client.get("/profile")
        assert response.status_code == 200
        body = await response.get_json()
    assert body["status"] == 200 and body["body"]["sub"] == "alice"
    assert provider.grant_counts["refresh_token"] == 1
    assert provider.resource_requests - calls == 2  # the refused call, and its one retry
    ((_, new),) = store._tokens.items()
    assert new["access_token"] != old["access_token"]


@pytest.mark.parametrize("json_client", [False, True])
async def test_a_provider_restart_sends_the_user_to_log_in(
    tls: TLS, provider: OAuth2Provider, json_client: bool
) -> None:
    store = MemoryTokenStore()
    app, _ = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        assert (await client.get("/profile")).status_code == 200
        restart(provider)
        response = await client.get("/profile", headers=JSON if json_client else {})
        assert len(store) == 0  # the dead token was dropped
        assert provider.grant_counts["refresh_token"] == 1  # one try, refused
        if json_client:
            assert response.status_code == 401
            assert (await response.get_json())["error"] == "login_required"
        else:
            assert response.status_code == 302
            assert URL(response.headers["Location"]).path == "/login/corp"
        # ...and the next login works at once.
        assert (await login(client, tls)).status_code == 302
        assert (await client.get("/profile")).status_code == 200


async def test_without_a_refresh_token_the_dead_token_is_dropped(
    tls: TLS, provider: OAuth2Provider
) -> None:
    store = MemoryTokenStore()
    app, _ = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        key = next(iter(store._tokens))
        store._tokens[key] = {k: v for k, v in store._tokens[key].items() if k != "refresh_token"}
        provider.store.access_tokens.clear()
        response = await client.get("/profile")
    assert response.status_code == 302
    assert provider.grant_counts["refresh_token"] == 0
    assert len(store) == 0


async def test_a_401_without_invalid_token_is_the_apps_to_see(
    tls: TLS, provider: OAuth2Provider
) -> None:
    store = MemoryTokenStore()
    app, oauth = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))

    @app.route("/echo-401")
    async def echo_401() -> Any:
        # The fake provider's /redirect answers any status, here a 401 with no challenge.
        url = provider.url("/redirect?status=401&to=/")
        async with oauth.corp.get(url, allow_redirects=False) as resp:
            return jsonify(status=resp.status)

    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        body = await (await client.get("/echo-401")).get_json()
    assert body["status"] == 401
    assert provider.grant_counts["refresh_token"] == 0
    assert len(store) == 1


@pytest.fixture
async def oidc(tls: TLS) -> AsyncIterator[oidc_support.TamperingProvider]:
    async with oidc_support.running(tls) as p:
        yield p


async def test_require_pages_survive_a_restart_and_a_key_rotation(
    tls: TLS, oidc: oidc_support.TamperingProvider
) -> None:
    # /me calls userinfo through oauth.corp; the fake OpenID provider issues no refresh token.
    store = MemoryTokenStore()
    app, _ = oidc_support.make_app(tls, oidc, store)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        assert (await oidc_support.login(client, oidc)).status_code == 302
        assert (await client.get("/me")).status_code == 200
        oidc.access_tokens.clear()  # the provider restarted...
        oidc.rotate()  # ...with a new signing key
        response = await client.get("/me")
        assert response.status_code == 302
        assert URL(response.headers["Location"]).path == "/login/corp"
        assert len(store) == 0
        again = await oidc_support.login(client, oidc)  # the next login works at once
        assert again.status_code == 302, await again.get_data(as_text=True)
        assert (await client.get("/me")).status_code == 200


async def test_the_retry_can_be_turned_off_per_provider(tls: TLS, provider: OAuth2Provider) -> None:
    store = MemoryTokenStore()
    settings = corp_settings(provider, refresh_on_invalid_token=False)
    app, _ = make_app(tls, {"corp": settings}, QuartOAuth(store=store))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        provider.store.access_tokens.clear()
        body = await (await client.get("/profile")).get_json()
    assert body["status"] == 401  # the app's to handle, as before
    assert provider.grant_counts["refresh_token"] == 0
    assert len(store) == 1


def test_the_setting_must_be_a_bool(tls: TLS, provider: OAuth2Provider) -> None:
    from quart_oauthlib.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="refresh_on_invalid_token"):
        make_app(tls, {"corp": corp_settings(provider, refresh_on_invalid_token="no")})
