"""OAuth 1 login against the real (oauthlib-verified) provider, then signed API calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from quart import Quart, jsonify
from yarl import URL

from quart_oauthlib import MemoryTokenStore, QuartOAuth
from quart_oauthlib.globals import BoundOAuth1Session
from tests.ext.conftest import follow_provider
from tests.fake_provider.oauth1 import CLIENT_KEY, CLIENT_SECRET, OAuth1Provider, running_provider
from tests.fake_provider.serving import TLS

CALLBACK = "https://127.0.0.1/login/tumblr/authorized"


@pytest.fixture
async def provider1(tls: TLS) -> AsyncIterator[OAuth1Provider]:
    async with running_provider(tls) as running:
        yield running


def tumblr(provider: OAuth1Provider, **overrides: Any) -> dict[str, Any]:
    return {
        "client_key": CLIENT_KEY,
        "client_secret": CLIENT_SECRET,
        "request_token_url": provider.url("/oauth/request_token"),
        "authorize_url": provider.url("/oauth/authorize"),
        "access_token_url": provider.url("/oauth/access_token"),
        "userinfo_url": provider.url("/api/echo"),
        "redirect_uri": CALLBACK,
        **overrides,
    }


def oauth1_app(tls: TLS, settings: dict[str, Any], store: MemoryTokenStore) -> Quart:
    app = Quart(__name__)
    app.config.update(
        SECRET_KEY="k", OAUTH_CA_BUNDLE=tls.ca_pem_path, OAUTH_PROVIDERS={"tumblr": settings}
    )
    oauth = QuartOAuth(app, store=store)

    @app.route("/me")
    @oauth.require("tumblr")
    async def me() -> Any:
        session = oauth.tumblr
        assert isinstance(session, BoundOAuth1Session)
        async with session.get(settings["userinfo_url"], params={"q": "1"}) as resp:
            return jsonify(status=resp.status, body=await resp.json())

    @app.post("/forget")
    async def forget() -> Any:
        session = oauth.tumblr
        assert isinstance(session, BoundOAuth1Session)
        had_token = bool(await session.load_token())
        await session.forget_token()
        return jsonify(had_token=had_token, authorized=session.authorized)

    return app


async def test_oauth1_login_and_signed_call(tls: TLS, provider1: OAuth1Provider) -> None:
    store = MemoryTokenStore()
    app = oauth1_app(tls, tumblr(provider1), store)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        assert (await client.get("/me")).status_code == 302
        response = await client.get("/login/tumblr", query_string={"next": "/me"})
        assert response.status_code == 302
        location = URL(response.headers["Location"])
        assert str(location.with_query(None)) == provider1.url("/oauth/authorize")
        back = await follow_provider(tls, str(location))
        assert str(back.with_query(None)) == CALLBACK
        done = await client.get(back.path, query_string=dict(back.query))
        assert done.status_code == 302, await done.get_data(as_text=True)
        assert done.headers["Location"] == "/me"
        ((_, token),) = store._tokens.items()
        assert set(token) >= {"oauth_token", "oauth_token_secret"}
        me = await client.get("/me")
        body = await me.get_json()
    assert body["status"] == 200
    assert body["body"]["client_key"] == CLIENT_KEY
    assert body["body"]["token"] == token["oauth_token"]
    assert provider1.state.calls == {
        "request_token": 1,
        "authorize": 1,
        "access_token": 1,
        "echo": 1,
    }


async def test_oauth1_replayed_callback_stores_nothing(tls: TLS, provider1: OAuth1Provider) -> None:
    store = MemoryTokenStore()
    app = oauth1_app(tls, tumblr(provider1), store)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        response = await client.get("/login/tumblr")
        back = await follow_provider(tls, response.headers["Location"])
        forged = {**back.query, "oauth_token": "not-ours"}
        assert (await client.get(back.path, query_string=forged)).status_code == 400
        assert (await client.get(back.path, query_string=dict(back.query))).status_code == 302
        await store.delete("tumblr", next(iter(store._tokens))[1])
        again = await client.get(back.path, query_string=dict(back.query))
    assert again.status_code == 400
    assert len(store) == 0


async def test_oauth1_denied(tls: TLS, provider1: OAuth1Provider) -> None:
    store = MemoryTokenStore()
    app = oauth1_app(tls, tumblr(provider1), store)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        response = await client.get("/login/tumblr")
        request_token = URL(response.headers["Location"]).query["oauth_token"]
        denied = await client.get(
            "/login/tumblr/authorized", query_string={"denied": request_token}
        )
    assert denied.status_code == 403
    assert len(store) == 0


async def test_oauth1_bad_secret_at_request_token_is_a_502_page(
    tls: TLS, provider1: OAuth1Provider
) -> None:
    app = oauth1_app(tls, tumblr(provider1, client_secret="wrong"), MemoryTokenStore())
    async with app.test_app() as test_app:
        response = await test_app.test_client().get("/login/tumblr")
    body = await response.get_data(as_text=True)
    assert response.status_code == 502
    assert "request token" in body and "wrong" not in body


async def test_oauth1_forget_token(tls: TLS, provider1: OAuth1Provider) -> None:
    store = MemoryTokenStore()
    settings = tumblr(provider1)
    app = oauth1_app(tls, settings, store)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        response = await client.get("/login/tumblr")
        back = await follow_provider(tls, response.headers["Location"])
        await client.get(back.path, query_string=dict(back.query))
        assert len(store) == 1
        forgotten = await (await client.post("/forget")).get_json()
        assert (await client.get("/me")).status_code == 302
    assert forgotten == {"had_token": True, "authorized": False}
    assert len(store) == 0
