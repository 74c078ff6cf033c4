"""The whole OAuth 2 login against the real provider: redirect, callback, store, API call."""

from __future__ import annotations

from typing import Any

from quart import Quart, jsonify
from yarl import URL

from quart_oauthlib import MemoryTokenStore, QuartOAuth
from tests.ext.conftest import corp_settings, follow_provider, login, make_app
from tests.fake_provider.oauth2 import OAuth2Provider
from tests.fake_provider.serving import TLS


async def test_login_redirect_carries_state_pkce_scope_and_callback(
    tls: TLS, provider: OAuth2Provider
) -> None:
    app, _ = make_app(tls, {"corp": corp_settings(provider)})
    async with app.test_app() as test_app:
        response = await test_app.test_client().get("/login/corp")
    assert response.status_code == 302
    url = URL(response.headers["Location"])
    assert str(url.with_query(None)) == provider.url("/authorize")
    assert url.query["response_type"] == "code"
    assert url.query["client_id"] == "web-client"
    assert url.query["redirect_uri"] == "http://localhost/login/corp/authorized"
    assert url.query["scope"] == "read"
    assert url.query["code_challenge_method"] == "S256"
    assert len(url.query["code_challenge"]) == 43
    assert len(url.query["state"]) >= 20


async def test_full_login_stores_token_and_redirects_to_next(
    tls: TLS, provider: OAuth2Provider
) -> None:
    store = MemoryTokenStore()
    app, _ = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        response = await login(client, tls, next_url="/profile?tab=1")
        assert response.status_code == 302
        assert response.headers["Location"] == "/profile?tab=1"
        assert len(store) == 1
        assert provider.grant_counts["authorization_code"] == 1
        profile = await client.get("/profile")
        assert profile.status_code == 200
        data = await profile.get_json()
    assert data == {
        "status": 200,
        "body": {"sub": "alice", "name": "Alice", "client_id": "web-client", "scope": ["read"]},
    }


async def test_default_redirect_after_login_is_configurable(
    tls: TLS, provider: OAuth2Provider
) -> None:
    app, _ = make_app(tls, {"corp": corp_settings(provider)}, OAUTH_REDIRECT_TO="/welcome")
    async with app.test_app() as test_app:
        response = await login(test_app.test_client(), tls)
    assert response.headers["Location"] == "/welcome"


async def test_per_provider_redirect_to_may_name_an_endpoint(
    tls: TLS, provider: OAuth2Provider
) -> None:
    app, _ = make_app(tls, {"corp": corp_settings(provider, redirect_to="index")})
    async with app.test_app() as test_app:
        response = await login(test_app.test_client(), tls)
    assert response.headers["Location"] == "/"


async def test_session_store_is_the_default(tls: TLS, provider: OAuth2Provider) -> None:
    app, _ = make_app(tls, {"corp": corp_settings(provider)})
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        async with client.session_transaction() as session:
            entry = session["_oauth_tokens"]["corp"]
        assert entry["t"]["token_type"] == "Bearer"
        assert "expires_at" in entry["t"]
        assert (await client.get("/profile")).status_code == 200


async def test_both_accessors_give_the_same_bound_session_sharing_one_pool(
    tls: TLS, provider: OAuth2Provider
) -> None:
    app, oauth = make_app(tls, {"corp": corp_settings(provider)})
    seen: list[Any] = []

    @app.route("/both")
    @oauth.require("corp")
    async def both() -> Any:
        seen.append((oauth.corp, oauth["corp"], oauth.corp.http))
        async with oauth.corp.get(provider.url("/api/user")) as resp:
            return jsonify(status=resp.status)

    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        assert (await client.get("/both")).status_code == 200
        assert (await client.get("/both")).status_code == 200
        shared = app.extensions["quart_oauthlib"].http
    (a, b, http1), (c, _, http2) = seen
    assert a is b and a is not c  # one session per request...
    assert http1 is http2 is shared  # ...all on the app's one aiohttp session
    assert shared.closed  # closed at shutdown


async def test_pkce_can_be_turned_off(tls: TLS, provider: OAuth2Provider) -> None:
    app, _ = make_app(tls, {"corp": corp_settings(provider, pkce=None)})
    async with app.test_app() as test_app:
        client = test_app.test_client()
        response = await client.get("/login/corp")
        assert "code_challenge" not in URL(response.headers["Location"]).query
        back = await follow_provider(tls, response.headers["Location"])
        done = await client.get(back.path, query_string=dict(back.query))
        assert done.status_code == 302
        assert (await client.get("/profile")).status_code == 200


async def test_client_secret_post_and_public_clients(tls: TLS, provider: OAuth2Provider) -> None:
    for settings in (
        corp_settings(provider, token_endpoint_auth_method="client_secret_post"),
        corp_settings(
            provider, client_id="public", client_secret=None, token_endpoint_auth_method="none"
        ),
    ):
        app, _ = make_app(tls, {"corp": settings})
        async with app.test_app() as test_app:
            client = test_app.test_client()
            assert (await login(client, tls)).status_code == 302
            assert (await client.get("/profile")).status_code == 200
    methods = [(r["client_auth"], r["status"]) for r in provider.token_requests]
    assert methods == [("client_secret_post", 200), ("none", 200)]


async def test_url_prefix_and_explicit_redirect_uri(tls: TLS, provider: OAuth2Provider) -> None:
    settings = corp_settings(provider, redirect_uri="https://127.0.0.1/callback")
    app, _ = make_app(tls, {"corp": settings}, OAUTH_URL_PREFIX="/auth")
    async with app.test_app() as test_app:
        client = test_app.test_client()
        assert (await client.get("/login/corp")).status_code == 404
        response = await client.get("/auth/login/corp")
        location = URL(response.headers["Location"])
        assert location.query["redirect_uri"] == "https://127.0.0.1/callback"
        back = await follow_provider(tls, str(location))
        assert back.host == "127.0.0.1"
        done = await client.get("/auth/login/corp/authorized", query_string=dict(back.query))
        assert done.status_code == 302
        assert (await client.get("/profile")).status_code == 200


async def test_app_factory_and_two_apps_in_one_process(tls: TLS, provider: OAuth2Provider) -> None:
    oauth = QuartOAuth()
    apps: list[Quart] = []
    for prefix in ("", "/auth"):
        app, _ = make_app(tls, {"corp": corp_settings(provider)}, oauth, OAUTH_URL_PREFIX=prefix)
        apps.append(app)
    for app, prefix in zip(apps, ("", "/auth"), strict=True):
        async with app.test_app() as test_app:
            client = test_app.test_client()
            assert (await login(client, tls, prefix=prefix)).status_code == 302
            assert (await client.get("/profile")).status_code == 200
    assert apps[0].extensions["quart_oauthlib"] is not apps[1].extensions["quart_oauthlib"]
    assert not hasattr(oauth, "app")
