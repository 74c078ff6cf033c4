"""``@oauth.require``: a redirect to login (or a JSON 401) until the user is authorized."""

from __future__ import annotations

from typing import Any

import pytest
from quart import Quart, request
from yarl import URL

from quart_oauthlib import ConfigurationError, MemoryTokenStore, QuartOAuth
from tests.ext.conftest import corp_settings, follow_provider, login, make_app
from tests.fake_provider.oauth2 import OAuth2Provider
from tests.fake_provider.serving import TLS


@pytest.fixture
def app(tls: TLS, provider: OAuth2Provider) -> Quart:
    providers = {"corp": corp_settings(provider), "other": corp_settings(provider)}
    app, oauth = make_app(tls, providers)

    @app.route("/both/<item>")
    @oauth.require("corp", "other")
    async def both(item: str) -> str:
        return f"both {item}"

    @app.route("/sync")
    @oauth.require("corp")
    def sync_view() -> str:  # sync views run through app.ensure_async
        return "sync"

    return app


async def test_unauthorized_redirects_to_login_with_next(app: Quart) -> None:
    async with app.test_app() as test_app:
        response = await test_app.test_client().get("/profile?a=1&b=2")
    assert response.status_code == 302
    location = URL(response.headers["Location"])
    assert location.path == "/login/corp"
    assert location.query["next"] == "/profile?a=1&b=2"


async def test_json_clients_get_a_401_with_the_login_url(app: Quart) -> None:
    async with app.test_app() as test_app:
        response = await test_app.test_client().get(
            "/profile", headers={"Accept": "application/json"}
        )
    assert response.status_code == 401
    body = await response.get_json()
    assert body["error"] == "login_required"
    assert body["provider"] == "corp"
    assert URL(body["login_url"]).path == "/login/corp"


async def test_authorized_runs_the_view_and_next_round_trips(app: Quart, tls: TLS) -> None:
    async with app.test_app() as test_app:
        client = test_app.test_client()
        first = await client.get("/profile?a=1")
        next_url = URL(first.headers["Location"]).query["next"]
        done = await login(client, tls, next_url=next_url)
        assert done.headers["Location"] == "/profile?a=1"
        assert (await client.get("/profile?a=1")).status_code == 200
        assert await (await client.get("/sync")).get_data(as_text=True) == "sync"


async def test_several_providers_at_once(app: Quart, tls: TLS) -> None:
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        response = await client.get("/both/x")
        assert URL(response.headers["Location"]).path == "/login/other"
        await login(client, tls, "other")
        response = await client.get("/both/x")
    assert await response.get_data(as_text=True) == "both x"


async def test_unknown_provider_name_is_a_configuration_error(tls: TLS) -> None:
    app, oauth = make_app(
        tls, {"corp": {"preset": "github", "client_id": "a", "client_secret": "b"}}
    )

    @app.route("/typo")
    @oauth.require("githb")
    async def typo() -> str:
        return "never"

    async with app.test_request_context("/typo"):
        with pytest.raises(ConfigurationError, match="No OAuth provider 'githb'.*corp"):
            await app.view_functions["typo"]()


async def test_tokens_follow_the_signed_in_user_across_browsers(
    tls: TLS, provider: OAuth2Provider
) -> None:
    store = MemoryTokenStore()
    app, oauth = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))

    @oauth.user_id_loader
    async def user_id() -> Any:
        return request.headers.get("X-User")

    async with app.test_app() as test_app:
        laptop, phone = test_app.test_client(), test_app.test_client()
        response = await laptop.get("/login/corp", headers={"X-User": "ann"})
        back = await follow_provider(tls, response.headers["Location"])
        done = await laptop.get(back.path, query_string=dict(back.query), headers={"X-User": "ann"})
        assert done.status_code == 302
        assert list(store._tokens) == [("corp", "user:ann")]
        assert (await phone.get("/profile", headers={"X-User": "ann"})).status_code == 200
        assert (await phone.get("/profile", headers={"X-User": "bob"})).status_code == 302
        assert (await phone.get("/profile")).status_code == 302
