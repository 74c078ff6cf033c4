"""The request-bound sessions hold no reference cycles.

Objects in a cycle are not freed when their last reference goes, but by the
cyclic garbage collector, later. One such session per request made every
request pay for more frequent collections (found by the extension benchmark).
"""

from __future__ import annotations

import gc
import weakref

from quart_oauthlib import MemoryTokenStore, QuartOAuth
from quart_oauthlib._state import get_state
from quart_oauthlib.globals import BoundOAuth1Session, BoundOAuth2Session
from tests.ext.conftest import corp_settings, make_app
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
