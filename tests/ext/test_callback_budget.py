"""One time budget for a login's whole callback (OAUTH_CALLBACK_TIMEOUT), named when it runs out."""

from __future__ import annotations

import asyncio
import html
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from quart import Quart

from quart_oauthlib import MemoryTokenStore, QuartOAuth
from quart_oauthlib.errors import ConfigurationError
from tests.ext import oidc_support
from tests.ext.conftest import corp_settings, follow_provider, make_app
from tests.fake_provider.oauth2 import OAuth2Provider
from tests.fake_provider.serving import TLS, serve


async def page(response: Any) -> str:
    return html.unescape(await response.get_data(as_text=True))


async def test_a_slow_token_endpoint_runs_out_of_the_callback_budget(
    tls: TLS, provider: OAuth2Provider
) -> None:
    store = MemoryTokenStore()
    app, _ = make_app(
        tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store), OAUTH_CALLBACK_TIMEOUT=1
    )
    async with app.test_app() as test_app:
        client = test_app.test_client()
        start = await client.get("/login/corp")
        back = await follow_provider(tls, start.headers["Location"])
        provider.quirks.slow_drip_seconds = 0.2  # the token answer, a byte at a time
        started = time.monotonic()
        response = await client.get(back.path, query_string=dict(back.query))
        elapsed = time.monotonic() - started
    assert response.status_code == 502
    assert "ran out of the 1 s time budget" in await page(response)
    assert 0.8 < elapsed < 4
    assert len(store) == 0


class SlowUserinfo(oidc_support.TamperingProvider):
    async def _userinfo(self, request: web.Request) -> web.Response:
        await asyncio.sleep(3)
        return await super()._userinfo(request)


@pytest.fixture
async def slow_userinfo(tls: TLS) -> AsyncIterator[SlowUserinfo]:
    provider = SlowUserinfo()
    async with serve(provider.app, tls) as base_url:
        provider.issuer = str(base_url)
        yield provider


async def test_the_budget_spans_discovery_token_keys_and_userinfo(
    tls: TLS, slow_userinfo: SlowUserinfo
) -> None:
    store = MemoryTokenStore()
    app, _ = oidc_support.make_app(tls, slow_userinfo, store)
    app.extensions["quart_oauthlib"].callback_timeout = 1.5
    async with app.test_app() as test_app:
        client = test_app.test_client()
        location = await oidc_support.start(client)
        started = time.monotonic()
        response = await client.get(
            "/login/corp/authorized",
            query_string=oidc_support.authorize(slow_userinfo, location),
        )
        elapsed = time.monotonic() - started
    assert response.status_code == 502
    assert "ran out of the 1.5 s time budget" in await page(response)
    assert elapsed < 3  # the userinfo call alone would take 3 s
    assert len(store) == 0


@pytest.mark.parametrize("value", ["soon", 0, -1, float("nan"), None])
def test_the_callback_timeout_is_checked(value: Any) -> None:
    app = Quart(__name__)
    app.config["OAUTH_CALLBACK_TIMEOUT"] = value
    with pytest.raises(ConfigurationError, match="OAUTH_CALLBACK_TIMEOUT"):
        QuartOAuth(app)
