"""The request-bound sessions hold no reference cycles.

Objects in a cycle are not freed when their last reference goes, but by the
cyclic garbage collector, later. One such session per request made every
request pay for more frequent collections (found by the extension benchmark).
"""

from __future__ import annotations

import gc
import weakref
from typing import Any

from quart_oauthlib import MemoryTokenStore, QuartOAuth
from quart_oauthlib.extension.bound import BoundOAuth1Session, BoundOAuth2Session
from quart_oauthlib.extension.state import get_state
from tests.ext.conftest import corp_settings, login, make_app
from tests.fake_provider.oauth2 import OAuth2Provider
from tests.fake_provider.serving import TLS


async def test_bound_sessions_are_freed_without_the_cycle_collector(
    tls: TLS, provider: OAuth2Provider
) -> None:
    tumblr = {
        "client_key": "k",
        "client_secret": "s",
        "request_token_url": "https://127.0.0.1/rt",
        "authorize_url": "https://127.0.0.1/a",
        "access_token_url": "https://127.0.0.1/at",
    }
    settings = {"corp": corp_settings(provider), "tumblr": tumblr}
    app, _ = make_app(tls, settings, QuartOAuth(store=MemoryTokenStore()))
    async with app.test_app(), app.test_request_context("/"):
        state = get_state()
        gc.disable()
        try:
            for kind, name in ((BoundOAuth2Session, "corp"), (BoundOAuth1Session, "tumblr")):
                session = kind(state.provider(name), state, state.http_session())
                ref = weakref.ref(session)
                del session
                assert ref() is None, f"a {kind.__name__} outlived its last reference"
        finally:
            gc.enable()


async def test_the_request_forgets_its_tokens_and_sessions_when_it_ends(
    tls: TLS, provider: OAuth2Provider
) -> None:
    # aiohttp's cancelled timers keep the context of the request they were made in
    # (so its g) for up to the request timeout: the extension empties what it kept.
    app, oauth = make_app(
        tls, {"corp": corp_settings(provider)}, QuartOAuth(store=MemoryTokenStore())
    )
    seen: list[weakref.ref[Any]] = []

    @app.route("/call")
    async def call() -> Any:
        session = oauth["corp"]
        seen.append(weakref.ref(session))
        async with session.get(provider.url("/api/user")) as resp:
            return str(resp.status)

    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        assert (await client.get("/call")).status_code == 200
        gc.collect()
        assert seen[0]() is None
