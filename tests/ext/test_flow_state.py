"""Pending logins are bounded per browser, and the newest survive."""

from __future__ import annotations

import secrets

from yarl import URL

from quart_oauthlib.storage._cookie import MAX_COOKIE_BYTES
from tests.ext.conftest import corp_settings, follow_provider, make_app
from tests.fake_provider.oauth2 import OAuth2Provider
from tests.fake_provider.serving import TLS


async def test_pending_logins_are_bounded_oldest_dropped(
    tls: TLS, provider: OAuth2Provider
) -> None:
    app, _ = make_app(tls, {"corp": corp_settings(provider)}, OAUTH_MAX_FLOWS=3)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        locations = []
        for _ in range(5):
            response = await client.get("/login/corp")
            locations.append(response.headers["Location"])
        async with client.session_transaction() as session:
            pending = set(session["_oauth_flows"])
        states = [URL(loc).query["state"] for loc in locations]
        assert pending == set(states[-3:])
        oldest = await follow_provider(tls, locations[0])
        dropped = await client.get(oldest.path, query_string=dict(oldest.query))
        assert dropped.status_code == 400
        newest = await follow_provider(tls, locations[-1])
        done = await client.get(newest.path, query_string=dict(newest.query))
        assert done.status_code == 302
        assert (await client.get("/profile")).status_code == 200
        async with client.session_transaction() as session:
            assert len(session["_oauth_flows"]) == 2  # the used one is gone


async def test_pending_logins_never_push_the_cookie_past_what_browsers_keep(
    tls: TLS, provider: OAuth2Provider
) -> None:
    # Long (incompressible) next URLs in several tabs: fewer than OAUTH_MAX_FLOWS are kept.
    app, _ = make_app(tls, {"corp": corp_settings(provider)}, OAUTH_MAX_FLOWS=10)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        locations = []
        for _ in range(10):
            next_url = "/search?q=" + secrets.token_urlsafe(370)  # ~500 characters
            response = await client.get("/login/corp", query_string={"next": next_url})
            cookie = max(response.headers.get_all("Set-Cookie"), key=len)
            assert len(cookie.split(";")[0]) <= MAX_COOKIE_BYTES
            locations.append(response.headers["Location"])
        async with client.session_transaction() as session:
            kept = len(session["_oauth_flows"])
        assert 1 <= kept < 10
        newest = await follow_provider(tls, locations[-1])
        done = await client.get(newest.path, query_string=dict(newest.query))
    assert done.status_code == 302
    assert done.headers["Location"].startswith("/search?q=")
