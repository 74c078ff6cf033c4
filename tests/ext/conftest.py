"""Fixtures for the Quart extension: a real OAuth 2 provider, an app, a login driver."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from quart import Quart, jsonify
from quart.testing import QuartClient
from yarl import URL

from quart_oauthlib import QuartOAuth
from tests.fake_provider.oauth2 import Client, OAuth2Provider, running_provider
from tests.fake_provider.serving import TLS

SECRET = "web-secret"
CALLBACKS = [
    "http://localhost/login/corp/authorized",
    "http://localhost/login/other/authorized",
    "http://localhost/auth/login/corp/authorized",
    "https://public.example/login/corp/authorized",
    "https://127.0.0.1/callback",
]


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[OAuth2Provider]:
    """The oauthlib-based provider, knowing our callback URLs."""
    clients = [Client("web-client", SECRET, list(CALLBACKS)), Client("public", None, CALLBACKS)]
    async with running_provider(tls, clients=clients) as running:
        yield running


def corp_settings(provider: OAuth2Provider, **overrides: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "client_id": "web-client",
        "client_secret": SECRET,
        "authorize_url": provider.url("/authorize"),
        "token_url": provider.url("/token"),
        "revoke_url": provider.url("/revoke"),
        "userinfo_url": provider.url("/api/user"),
        "scope": ["read"],
    }
    settings.update(overrides)
    return settings


def make_app(
    tls: TLS,
    providers: dict[str, Any],
    oauth: QuartOAuth | None = None,
    **config: Any,
) -> tuple[Quart, QuartOAuth]:
    """An app with QuartOAuth and a protected ``/profile`` calling the provider's API."""
    app = Quart(__name__)
    app.config["SECRET_KEY"] = "test-secret-key"
    app.config["OAUTH_PROVIDERS"] = providers
    app.config["OAUTH_CA_BUNDLE"] = tls.ca_pem_path
    app.config.update(config)
    oauth = oauth or QuartOAuth()
    oauth.init_app(app)
    name = next(iter(providers))

    @app.route("/profile")
    @oauth.require(name)
    async def profile() -> Any:
        session = oauth[name]
        url = app.extensions["quart_oauthlib"].provider(name).settings.userinfo_url
        async with session.get(url) as resp:
            return jsonify(status=resp.status, body=await resp.json())

    @app.route("/")
    async def index() -> str:
        return "home"

    return app, oauth


async def follow_provider(tls: TLS, location: str, **params: str) -> URL:
    """Visit the provider's authorization URL as a browser would; return where it sends us."""
    url = URL(location).update_query(params) if params else URL(location)
    connector = aiohttp.TCPConnector(ssl=tls.client_context)
    async with aiohttp.ClientSession(connector=connector) as http:
        async with http.get(url, allow_redirects=False) as resp:
            assert resp.status in (302, 303), await resp.text()
            return URL(resp.headers["Location"])


async def login(
    client: QuartClient, tls: TLS, name: str = "corp", *, next_url: str | None = None,
    prefix: str = "",
) -> Any:  # fmt: skip
    """The whole browser round trip; return the callback's response."""
    path = f"{prefix}/login/{name}"
    response = await client.get(path, query_string={"next": next_url} if next_url else None)
    assert response.status_code == 302, await response.get_data(as_text=True)
    back = await follow_provider(tls, response.headers["Location"])
    return await client.get(back.path, query_string=dict(back.query))


StoreGetter = Callable[[], Any]


async def wait_for_grant(provider: OAuth2Provider, count: int = 1) -> None:
    """Wait until ``count`` refresh grants reached the provider."""
    for _ in range(500):
        if provider.grant_counts["refresh_token"] >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("no refresh grant reached the provider")


async def hang_up_mid_grant(client: QuartClient, provider: OAuth2Provider, path: str) -> None:
    """GET ``path``, and hang up while the refresh grant it started is in flight.

    The ASGI ``http.disconnect`` a server sends when the browser closes the
    connection (or a proxy times out): Quart cancels the view's task.
    """
    async with client.request(path) as connection:
        await connection.send_complete()
        await wait_for_grant(provider)
        await connection.disconnect()
