"""An OpenID provider configured with server_metadata_url, client_id and client_secret only."""

from __future__ import annotations

import json
import logging
import secrets
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest
from quart import Quart

from quart_oauthlib import (
    ConfigurationError,
    MemoryTokenStore,
    QuartOAuth,
    SessionTokenStore,
    oauth_authorized,
)
from quart_oauthlib.extension.flows import oidc as oidc_flow_module
from tests.ext.oidc_support import (
    TamperingProvider,
    authorize,
    forget_discovery,
    login,
    make_app,
    running,
    settings,
    start,
)
from tests.fake_provider.serving import TLS


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[TamperingProvider]:
    async with running(tls) as p:
        yield p


async def test_good_login_gives_claims_and_userinfo_to_view_and_signal(
    tls: TLS, provider: TamperingProvider
) -> None:
    app, _ = make_app(tls, provider, store=SessionTokenStore())
    seen: list[dict[str, Any]] = []

    async def authorized(sender: Quart, **kwargs: Any) -> None:
        seen.append(kwargs)

    with oauth_authorized.connected_to(authorized):
        async with app.test_app() as test_app:
            client = test_app.test_client()
            assert app.extensions["quart_oauthlib"].provider("corp").needs_discovery  # no I/O yet
            response = await login(client, provider)
            assert response.status_code == 302, await response.get_data(as_text=True)
            me = await client.get("/me")
            assert me.status_code == 200
            data = await me.get_json()
            async with client.session_transaction() as session:
                cookie = json.dumps(dict(session))
    (kwargs,) = seen
    assert kwargs["provider"] == "corp"
    assert kwargs["id_token_claims"]["sub"] == "user-42"
    assert kwargs["id_token_claims"]["iss"] == provider.issuer
    assert kwargs["userinfo"] == {"sub": "user-42", "email": "ada@example.test"}
    raw = kwargs["token"]["id_token"]  # the receiver may keep it server-side...
    assert raw == provider.last_id_token
    for part in raw.split("."):  # ...but the cookie never holds it
        assert part not in cookie
    assert "id_token" not in json.loads(cookie)["_oauth_tokens"]["corp"]["t"]
    assert data["claims"]["sub"] == "user-42"
    assert data["claims"]["aud"] == "oidc-client"
    assert "nonce" not in data["claims"] and "at_hash" not in data["claims"]
    assert data["userinfo"] == {"sub": "user-42", "email": "ada@example.test"}
    assert provider.calls["userinfo"] == 2  # at login, then for the view


async def test_login_asks_for_openid_with_a_fresh_nonce_each_time(
    tls: TLS, provider: TamperingProvider
) -> None:
    app, _ = make_app(tls, provider, scope="email")
    async with app.test_app() as test_app:
        client = test_app.test_client()
        first, second = await start(client), await start(client)
    assert str(first.with_query(None)) == f"{provider.issuer}/authorize"
    assert first.query["scope"] == "openid email"
    assert first.query["code_challenge_method"] == "S256"
    assert len(first.query["nonce"]) >= 32
    assert first.query["nonce"] != second.query["nonce"]
    assert provider.calls["metadata"] == 1  # discovered once per app, then cached


async def test_discovery_is_per_app_and_cached_across_logins(
    tls: TLS, provider: TamperingProvider
) -> None:
    oauth_apps = [make_app(tls, provider)[0] for _ in range(2)]
    for app in oauth_apps:
        async with app.test_app() as test_app:
            client = test_app.test_client()
            for _ in range(2):
                assert (await login(client, provider)).status_code == 302
    assert provider.calls["metadata"] == 2
    assert provider.calls["jwks"] == 2


async def test_configured_endpoints_override_discovered_ones(
    tls: TLS, provider: TamperingProvider
) -> None:
    app, _ = make_app(tls, provider, authorize_url="https://idp.example/login", scope=["openid"])
    async with app.test_app() as test_app:
        location = await start(test_app.test_client())
    assert str(location.with_query(None)) == "https://idp.example/login"
    assert location.query["scope"] == "openid"


async def test_key_rotation_while_the_app_runs(
    tls: TLS, provider: TamperingProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _ = make_app(tls, provider)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        assert (await login(client, provider)).status_code == 302
        assert provider.calls["jwks"] == 1
        provider.rotate()
        # Past the refetch rate limit (60 s), long before the cached set expires (1 h):
        # only the unknown kid can cause the refetch.
        later = oidc_flow_module._monotonic() + 61
        monkeypatch.setattr(oidc_flow_module, "_monotonic", lambda: later)
        response = await login(client, provider)
        assert response.status_code == 302, await response.get_data(as_text=True)
    assert provider.calls["jwks"] == 2  # the new kid caused one refetch
    assert provider.calls["metadata"] == 1


async def test_a_token_stored_before_a_restart_gets_the_discovered_refresh_url(
    tls: TLS, provider: TamperingProvider
) -> None:
    store = MemoryTokenStore()
    app, oauth = make_app(tls, provider, store=store)

    @app.route("/refresh-url")
    async def refresh_url() -> Any:
        # Reading the token does not discover (the provider may be down); getting it
        # ready for use does.
        await oauth.corp.ensure_active_token()
        return {"url": oauth.corp.auto_refresh_url}

    async with app.test_app() as test_app:
        client = test_app.test_client()
        assert (await login(client, provider)).status_code == 302
        forget_discovery(app)  # as if the process restarted
        response = await client.get("/refresh-url")
    assert (await response.get_json())["url"] == f"{provider.issuer}/token"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"server_metadata_url": "http://idp.example/.well-known/openid-configuration"}, "http"),
        ({"server_metadata_url": "https://idp.example/metadata"}, "set 'issuer'"),
        ({"end_session_url": "ftp://idp.example/logout"}, "end_session_url must be"),
    ],
)
def test_metadata_url_checked_at_init_app(overrides: dict[str, Any], message: str) -> None:
    app = Quart(__name__)
    app.config["OAUTH_PROVIDERS"] = {
        "corp": {
            "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
            "client_id": "id",
            "client_secret": "secret",
            **overrides,
        }
    }
    with pytest.raises(ConfigurationError, match=message):
        QuartOAuth(app)


def test_a_missing_jose_library_is_caught_at_init_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "joserfc", None)  # as if the jose extra were missing
    app = Quart(__name__)
    app.config["OAUTH_PROVIDERS"] = {
        "corp": {
            "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
            "client_id": "id",
            "client_secret": "secret",
        }
    }
    with pytest.raises(ConfigurationError, match=r"\['corp'\].*quart-oauthlib\[jose\]"):
        QuartOAuth(app)


def test_an_issuer_makes_any_metadata_url_acceptable(provider: TamperingProvider) -> None:
    app = Quart(__name__)
    app.config["OAUTH_PROVIDERS"] = {
        "corp": settings(
            provider,
            server_metadata_url="https://idp.example/metadata",
            issuer="https://idp.example",
        )
    }
    QuartOAuth(app)
    config = app.extensions["quart_oauthlib"].provider("corp").settings
    assert config.issuer == "https://idp.example" and config.authorize_url == ""


async def test_logs_and_error_pages_hold_no_secret(
    tls: TLS, provider: TamperingProvider, caplog: pytest.LogCaptureFixture
) -> None:
    store = MemoryTokenStore()
    app, _ = make_app(tls, provider, store=store)
    secrets = {"oidc-client-secret-0123456789"}
    with caplog.at_level(logging.DEBUG):
        async with app.test_app() as test_app:
            client = test_app.test_client()
            location = await start(client)
            query = authorize(provider, location)
            secrets.update((location.query["nonce"], query["code"]))
            done = await client.get("/login/corp/authorized", query_string=query)
            assert done.status_code == 302
            ((_, token),) = store._tokens.items()
            secrets.add(token["access_token"])
            assert provider.last_id_token is not None
            secrets.update(provider.last_id_token.split("."))
            provider.claim_changes["aud"] = "someone-else"
            location = await start(client)
            query = authorize(provider, location)
            secrets.update((location.query["nonce"], query["code"]))
            failed = await client.get("/login/corp/authorized", query_string=query)
            page = await failed.get_data(as_text=True)
    assert failed.status_code == 400
    secrets.update(provider.last_id_token.split("."))
    for secret in secrets:
        assert secret not in caplog.text and secret not in page


async def test_the_cookie_size_check_counts_the_kept_claims(
    tls: TLS, provider: TamperingProvider
) -> None:
    name = secrets.token_urlsafe(140)  # kept in the session with the token; incompressible
    provider.claim_changes["name"] = name

    async def cookie_after_login(store: SessionTokenStore) -> tuple[int, str]:
        app, _ = make_app(tls, provider, store=store)
        async with app.test_app() as test_app:
            response = await login(test_app.test_client(), provider)
        cookies = response.headers.get_all("Set-Cookie")
        return response.status_code, max(cookies, key=len) if cookies else ""

    status, cookie = await cookie_after_login(SessionTokenStore())
    assert status == 302
    size = len(cookie.split(";")[0])
    # A limit the token alone fits under, but not the token with the claims: the check
    # must refuse it rather than let the browser drop the cookie.
    status, cookie = await cookie_after_login(SessionTokenStore(max_cookie_bytes=size - 40))
    assert status == 500
    assert len(cookie.split(";")[0]) < size - 40  # neither the token nor the claims kept


async def test_the_sql_store_finds_the_user_by_the_provider_account(
    tls: TLS, provider: TamperingProvider, tmp_path: Any
) -> None:
    from quart_oauthlib.storage.sqla import SQLTokenStore

    store = SQLTokenStore(f"sqlite+aiosqlite:///{tmp_path}/tokens.sqlite3")
    app, oauth = make_app(tls, provider, store=store)
    oauth.user_id_loader(lambda: "alice")
    try:
        async with app.test_app() as test_app:
            assert (await login(test_app.test_client(), provider)).status_code == 302
        assert await store.find_user("corp", "user-42") == "user:alice"  # the ID token's sub
    finally:
        await store.close()
