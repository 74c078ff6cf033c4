"""One aiohttp session per app, opened at startup and closed at shutdown; a custom factory."""

from __future__ import annotations

import ssl
from typing import Any

import aiohttp
from quart import jsonify

from quart_oauthlib import QuartOAuth
from tests.ext.conftest import corp_settings, login, make_app
from tests.fake_provider.oauth2 import OAuth2Provider
from tests.fake_provider.serving import TLS


async def test_shared_session_opened_at_startup_and_closed_at_shutdown(
    tls: TLS, provider: OAuth2Provider
) -> None:
    app, _ = make_app(tls, {"corp": corp_settings(provider)})
    state = app.extensions["quart_oauthlib"]
    assert state.http is None  # no I/O before the app starts
    async with app.test_app() as test_app:
        http = state.http
        assert isinstance(http, aiohttp.ClientSession) and not http.closed
        client = test_app.test_client()
        await login(client, tls)
        for _ in range(3):
            assert (await client.get("/profile")).status_code == 200
        assert state.http is http
        assert http.connector is not None
    assert http.closed and state.http is None


async def test_plain_test_client_gets_a_per_request_session_closed_afterwards(
    tls: TLS, provider: OAuth2Provider
) -> None:
    app, oauth = make_app(tls, {"corp": corp_settings(provider)})
    sessions: list[aiohttp.ClientSession] = []

    @app.route("/peek")
    async def peek() -> Any:
        sessions.append(oauth["corp"].http)
        return jsonify(ok=True)

    client = app.test_client()  # before_serving never runs
    await client.get("/peek")
    await login(client, tls)
    assert (await client.get("/profile")).status_code == 200
    assert sessions and all(s.closed for s in sessions)
    assert app.extensions["quart_oauthlib"].http is None


async def test_custom_session_factory_and_ssl_context(tls: TLS, provider: OAuth2Provider) -> None:
    made: list[aiohttp.ClientSession] = []

    def factory() -> aiohttp.ClientSession:
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=tls.client_context, limit=4),
            headers={"User-Agent": "my-app"},
        )
        made.append(session)
        return session

    app, _ = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(session_factory=factory))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        assert (await client.get("/profile")).status_code == 200
    assert len(made) == 1 and made[0].closed

    context = ssl.create_default_context()
    tls.ca.configure_trust(context)
    app2, _ = make_app(
        tls, {"corp": corp_settings(provider)}, QuartOAuth(ssl=context), OAUTH_CA_BUNDLE=None
    )
    async with app2.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        assert (await client.get("/profile")).status_code == 200


async def test_untrusted_provider_certificate_is_an_error_page_not_a_500(
    tls: TLS, provider: OAuth2Provider
) -> None:
    app, _ = make_app(tls, {"corp": corp_settings(provider)}, OAUTH_CA_BUNDLE=None)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        response = await login(client, tls)
    assert response.status_code == 502
