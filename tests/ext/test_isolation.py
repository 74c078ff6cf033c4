"""One user's data never reaches another: the shared HTTP session's cookies, session fixation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from quart import jsonify
from yarl import URL

from quart_oauthlib import MemoryTokenStore, QuartOAuth
from quart_oauthlib.storage.base import TokenStore
from quart_oauthlib.storage.sqla import SQLTokenStore
from tests.ext.conftest import corp_settings, follow_provider, make_app
from tests.fake_provider.oauth2 import OAuth2Provider
from tests.fake_provider.serving import TLS, serve


@pytest.fixture
async def cookie_api(tls: TLS) -> AsyncIterator[URL]:
    """An API that sets a cookie on one call and shows the cookies of the next."""

    async def set_cookie(request: web.Request) -> web.Response:
        response = web.json_response({"ok": True})
        response.set_cookie("api_session", request.query["who"], path="/")
        return response

    async def show(request: web.Request) -> web.Response:
        return web.json_response({"cookie": request.headers.get("Cookie")})

    app = web.Application()
    app.router.add_get("/set", set_cookie)
    app.router.add_get("/show", show)
    async with serve(app, tls) as base:
        # A host name, not an IP address: aiohttp's jar keeps no cookie of an IP host.
        yield base.with_host("localhost")


async def sign_in(client: Any, tls: TLS, user: str) -> None:
    response = await client.get("/login/corp")
    back = await follow_provider(tls, response.headers["Location"], user=user)
    done = await client.get(back.path, query_string=dict(back.query))
    assert done.status_code == 302, await done.get_data(as_text=True)


async def test_one_users_api_cookie_never_rides_on_anothers_call(
    tls: TLS, provider: OAuth2Provider, cookie_api: URL
) -> None:
    app, oauth = make_app(tls, {"corp": corp_settings(provider)})

    @app.route("/call/<path:path>")
    async def call(path: str) -> Any:
        url = cookie_api.with_path(f"/{path}")
        from quart import request

        async with oauth.corp.get(str(url), params=dict(request.args)) as resp:
            return jsonify(await resp.json())

    async with app.test_app() as test_app:
        alice, bob = test_app.test_client(), test_app.test_client()
        await sign_in(alice, tls, "alice")
        await sign_in(bob, tls, "bob")
        assert (await alice.get("/call/set?who=alice-secret")).status_code == 200
        seen = await (await bob.get("/call/show")).get_json()
    assert seen["cookie"] is None


@pytest.mark.parametrize("kind", ["memory", "sql"])
async def test_a_planted_browser_id_gives_the_attacker_nothing(
    tls: TLS, provider: OAuth2Provider, tmp_path: Path, kind: str
) -> None:
    store: TokenStore = (
        MemoryTokenStore()
        if kind == "memory"
        else SQLTokenStore(f"sqlite+aiosqlite:///{tmp_path}/tokens.sqlite3")
    )
    app, _ = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))
    try:
        await planted_id_scenario(app, tls, store)
    finally:
        if isinstance(store, SQLTokenStore):
            await store.close()


async def planted_id_scenario(app: Any, tls: TLS, store: TokenStore) -> None:
    async with app.test_app() as test_app:
        attacker, victim = test_app.test_client(), test_app.test_client()
        await sign_in(attacker, tls, "mallory")
        async with attacker.session_transaction() as session:
            planted = session["_oauth_uid"]
            cookie = dict(session)
        # Cookie tossing: the attacker's session (and browser id) in the victim's browser.
        async with victim.session_transaction() as session:
            session.update(cookie)
        await sign_in(victim, tls, "victim")
        async with victim.session_transaction() as session:
            assert session["_oauth_uid"] != planted
        mine = await attacker.get("/profile")
        theirs = await (await victim.get("/profile")).get_json()
    assert theirs["body"]["sub"] == "victim"
    # The attacker's own token went with the planted id (a new login replaced it):
    # the attacker is sent to log in, never shown the victim's account.
    assert mine.status_code == 302
    assert await store.get("corp", f"browser:{planted}") is None


async def test_other_providers_tokens_move_with_the_user_and_logout_renews_the_id(
    tls: TLS, provider: OAuth2Provider
) -> None:
    store = MemoryTokenStore()
    providers = {"corp": corp_settings(provider), "other": corp_settings(provider)}
    app, _ = make_app(tls, providers, QuartOAuth(store=store))

    @app.route("/other")
    async def other() -> Any:
        state = app.extensions["quart_oauthlib"]
        return jsonify(held=await state.load_token("other") is not None)

    async with app.test_app() as test_app:
        client = test_app.test_client()
        await sign_in(client, tls, "alice")
        response = await client.get("/login/other")
        back = await follow_provider(tls, response.headers["Location"])
        await client.get(back.path, query_string=dict(back.query))
        async with client.session_transaction() as session:
            before = session["_oauth_uid"]
        assert (await client.get("/profile")).status_code == 200
        assert (await (await client.get("/other")).get_json())["held"] is True
        assert len(store) == 2
        await client.post("/logout/corp")
        async with client.session_transaction() as session:
            after = session["_oauth_uid"]
        assert after != before
        assert (await client.get("/profile")).status_code == 302
        assert (await (await client.get("/other")).get_json())["held"] is True
    assert [user for _, user in store._tokens] == [f"browser:{after}"]


async def test_a_user_loader_keeps_its_ids(tls: TLS, provider: OAuth2Provider) -> None:
    store = MemoryTokenStore()
    oauth = QuartOAuth(store=store, user_id_loader=lambda: "ada")
    app, _ = make_app(tls, {"corp": corp_settings(provider)}, oauth)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await sign_in(client, tls, "ada")
        assert (await client.get("/profile")).status_code == 200
    assert [user for _, user in store._tokens] == ["user:ada"]
