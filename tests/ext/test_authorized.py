"""``oauth.<name>.authorized`` and ``.token`` never lie (a ported Flask-Dance view)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from quart import Quart, redirect, url_for

from quart_oauthlib import MemoryTokenStore, QuartOAuth, TokenNotLoadedError
from quart_oauthlib.storage.sqla import SQLTokenStore
from tests.ext.conftest import corp_settings, login, make_app
from tests.fake_provider.oauth2 import OAuth2Provider
from tests.fake_provider.serving import TLS


def add_flask_dance_view(app: Quart, oauth: QuartOAuth, *, load_first: bool) -> None:
    """The view a Flask-Dance app has, ported: ``await`` added, nothing else."""

    @app.route("/dance")
    async def dance() -> Any:
        if load_first:
            await oauth.corp.load_token()
        if not oauth.corp.authorized:
            return redirect(url_for("corp.login"))
        return {"token_type": oauth.corp.token["token_type"]}


@pytest.mark.parametrize("store", ["session", "memory"])
async def test_cheap_stores_answer_before_any_await(
    tls: TLS, provider: OAuth2Provider, store: str
) -> None:
    app, oauth = make_app(tls, {"corp": corp_settings(provider)}, OAUTH_TOKEN_STORE=store)
    add_flask_dance_view(app, oauth, load_first=False)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        signed_out = await client.get("/dance")
        assert signed_out.status_code == 302
        assert signed_out.headers["Location"] == "/login/corp"
        await login(client, tls)
        signed_in = await client.get("/dance")
        assert signed_in.status_code == 200, await signed_in.get_data(as_text=True)
        assert await signed_in.get_json() == {"token_type": "Bearer"}
        # another browser: nobody
        other = test_app.test_client()
        assert (await other.get("/dance")).status_code == 302


async def test_a_server_side_store_refuses_to_guess(
    tls: TLS, provider: OAuth2Provider, tmp_path: Path
) -> None:
    store = SQLTokenStore(f"sqlite+aiosqlite:///{tmp_path}/tokens.sqlite3")
    app, oauth = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))
    add_flask_dance_view(app, oauth, load_first=True)

    @app.route("/unloaded")
    async def unloaded() -> Any:
        try:
            return {"authorized": oauth.corp.authorized}
        except TokenNotLoadedError as exc:
            return {"error": str(exc)}

    @app.route("/protected")
    @oauth.require("corp")
    async def protected() -> Any:  # require loaded it: the attributes answer
        return {"authorized": oauth.corp.authorized, "has": bool(oauth.corp.token)}

    try:
        async with app.test_app() as test_app:
            client = test_app.test_client()
            assert (await client.get("/dance")).status_code == 302
            error = (await (await client.get("/unloaded")).get_json())["error"]
            assert "await oauth.corp.load_token()" in error
            await login(client, tls)
            assert (await client.get("/dance")).status_code == 200
            error = (await (await client.get("/unloaded")).get_json())["error"]
            assert "load_token" in error
            body = await (await client.get("/protected")).get_json()
            assert body == {"authorized": True, "has": True}
    finally:
        await store.close()


async def test_token_not_loaded_is_typed(
    tls: TLS, provider: OAuth2Provider, tmp_path: Path
) -> None:
    store = SQLTokenStore(f"sqlite+aiosqlite:///{tmp_path}/t.sqlite3")
    app, oauth = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))
    try:
        async with app.test_app(), app.test_request_context("/"):
            with pytest.raises(TokenNotLoadedError):
                _ = oauth.corp.token
            with pytest.raises(TokenNotLoadedError):
                _ = oauth.corp.access_token
            assert isinstance(TokenNotLoadedError("x"), RuntimeError)
            assert await oauth.corp.load_token() is None
            assert oauth.corp.authorized is False
            assert oauth.corp.token == {}
            assert oauth.corp.access_token is None
    finally:
        await store.close()


async def test_memory_store_after_logout_says_signed_out(
    tls: TLS, provider: OAuth2Provider
) -> None:
    app, oauth = make_app(
        tls, {"corp": corp_settings(provider)}, QuartOAuth(store=MemoryTokenStore())
    )
    add_flask_dance_view(app, oauth, load_first=False)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        assert (await client.get("/dance")).status_code == 200
        assert (await client.post("/logout/corp")).status_code == 303
        assert (await client.get("/dance")).status_code == 302


async def test_requests_that_never_ask_cost_nothing(tls: TLS, provider: OAuth2Provider) -> None:
    """Nothing runs before each request: the user loader is called only when a view asks."""
    calls: list[str] = []
    app, oauth = make_app(tls, {"corp": corp_settings(provider)}, OAUTH_TOKEN_STORE="memory")
    add_flask_dance_view(app, oauth, load_first=False)

    @oauth.user_id_loader
    def user() -> str:
        calls.append("loaded")
        return "alice"

    @app.route("/plain")
    async def plain() -> Any:
        return {"ok": True}

    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        calls.clear()
        for _ in range(3):
            assert (await client.get("/plain")).status_code == 200
        assert calls == []
        # A view that asks reads the token on the spot, asking the loader once.
        signed_in = await client.get("/dance")
        assert signed_in.status_code == 200, await signed_in.get_data(as_text=True)
        assert calls == ["loaded"]


async def test_an_async_user_loader_needs_load_token(tls: TLS, provider: OAuth2Provider) -> None:
    """An async loader cannot be awaited by an attribute: it raises, never says 'no token'."""
    calls: list[str] = []
    app, oauth = make_app(tls, {"corp": corp_settings(provider)}, OAUTH_TOKEN_STORE="memory")

    @oauth.user_id_loader
    async def user() -> str:
        calls.append("ran")
        return "alice"

    @app.route("/ask")
    async def ask() -> Any:
        try:
            first: Any = oauth.corp.authorized
        except TokenNotLoadedError as exc:
            first = str(exc)
        await oauth.corp.load_token()
        return {"first": first, "then": oauth.corp.authorized}

    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        calls.clear()
        body = await (await client.get("/ask")).get_json()
    assert "load_token()" in body["first"]
    assert body["then"] is True
    assert calls == ["ran"]  # the coroutine the attribute made was closed unstarted
