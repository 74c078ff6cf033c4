"""Profile calls carrying the token in a custom header: no cross-origin redirect, a size limit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from yarl import URL

from quart_oauthlib.extension.profile_fetch import MAX_PROFILE_BYTES
from tests.ext.conftest import corp_settings
from tests.ext.test_profile import me_after_login, profile_app
from tests.fake_provider.oauth2 import OAuth2Provider
from tests.fake_provider.serving import TLS, serve

HEADER = "X-Shopify-Access-Token"


@pytest.fixture
async def api(tls: TLS) -> AsyncIterator[tuple[URL, list[str | None]]]:
    """A Shopify-like API; yields its base URL and the token headers its /elsewhere saw."""
    seen: list[str | None] = []

    async def shop(request: web.Request) -> web.Response:
        return web.json_response({"shop": {"id": 7, "token_seen": bool(request.headers[HEADER])}})

    async def elsewhere(request: web.Request) -> web.Response:
        seen.append(request.headers.get(HEADER))
        return web.json_response({"shop": {"id": 666}})

    async def redirect(request: web.Request) -> web.Response:
        base = request.url.origin()
        target = request.query["to"]
        if target == "other-origin":  # the same server, by another host name: another origin
            location = str(base.with_host("localhost").with_path("/elsewhere"))
        else:
            location = "/shop.json"
        return web.Response(status=302, headers={"Location": location})

    async def huge(request: web.Request) -> web.Response:
        return web.json_response({"shop": {"id": 1, "pad": "x" * (MAX_PROFILE_BYTES + 10)}})

    app = web.Application()
    app.router.add_get("/shop.json", shop)
    app.router.add_get("/elsewhere", elsewhere)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/huge", huge)
    async with serve(app, tls) as base:
        yield base, seen


def shopify_like(provider: OAuth2Provider, url: str) -> dict[str, object]:
    return corp_settings(
        provider,
        userinfo_url=url,
        userinfo_headers={HEADER: "{access_token}"},
        profile={"id": "shop.id"},
    )


async def test_a_cross_origin_redirect_is_not_followed_with_the_token(
    tls: TLS, provider: OAuth2Provider, api: tuple[URL, list[str | None]]
) -> None:
    base, seen = api
    settings = shopify_like(provider, f"{base}/redirect?to=other-origin")
    status, data = await me_after_login(profile_app(tls, settings), tls)
    assert status == 502
    assert "redirected to another origin" in data["error"]
    assert seen == []


async def test_a_same_origin_redirect_is_followed(
    tls: TLS, provider: OAuth2Provider, api: tuple[URL, list[str | None]]
) -> None:
    base, _ = api
    settings = shopify_like(provider, f"{base}/redirect?to=same")
    status, data = await me_after_login(profile_app(tls, settings), tls)
    assert status == 200
    assert data["id"] == "7" and data["raw"]["shop"]["token_seen"] is True


async def test_a_huge_profile_answer_is_refused(
    tls: TLS, provider: OAuth2Provider, api: tuple[URL, list[str | None]]
) -> None:
    base, _ = api
    status, data = await me_after_login(
        profile_app(tls, shopify_like(provider, f"{base}/huge")), tls
    )
    assert status == 502
    assert "larger than" in data["error"]
