"""The callback URL behind a TLS-terminating proxy: proxy headers when trusted, or explicit."""

from __future__ import annotations

import logging

import pytest
from hypercorn.middleware import ProxyFixMiddleware
from yarl import URL

from tests.ext.conftest import corp_settings, follow_provider, make_app
from tests.fake_provider.oauth2 import OAuth2Provider
from tests.fake_provider.serving import TLS

FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "public.example"}


async def test_trusted_proxy_headers_give_the_public_https_callback(
    tls: TLS, provider: OAuth2Provider
) -> None:
    app, _ = make_app(tls, {"corp": corp_settings(provider)})
    app.asgi_app = ProxyFixMiddleware(app.asgi_app, mode="legacy", trusted_hops=1)  # type: ignore[method-assign]
    async with app.test_app() as test_app:
        client = test_app.test_client()
        response = await client.get("/login/corp", headers=FORWARDED)
        location = URL(response.headers["Location"])
        assert location.query["redirect_uri"] == "https://public.example/login/corp/authorized"
        back = await follow_provider(tls, str(location))
        assert back.host == "public.example"
        done = await client.get(back.path, query_string=dict(back.query), headers=FORWARDED)
        assert done.status_code == 302
        assert (await client.get("/profile", headers=FORWARDED)).status_code == 200


async def test_untrusted_proxy_headers_are_ignored_and_http_is_warned_about(
    tls: TLS, provider: OAuth2Provider, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = make_app(tls, {"corp": corp_settings(provider)})
    with caplog.at_level(logging.WARNING, logger="quart_oauthlib"):
        async with app.test_app() as test_app:
            client = test_app.test_client()
            headers = {**FORWARDED, "Host": "app.example"}
            response = await client.get("/login/corp", headers=headers)
            await client.get("/login/corp", headers=headers)
    location = URL(response.headers["Location"])
    assert location.query["redirect_uri"] == "http://app.example/login/corp/authorized"
    warnings = [r for r in caplog.records if "ProxyFixMiddleware" in r.getMessage()]
    assert len(warnings) == 1  # once per provider, not per request


async def test_explicit_redirect_uri_wins(tls: TLS, provider: OAuth2Provider) -> None:
    settings = corp_settings(provider, redirect_uri="https://public.example/login/corp/authorized")
    app, _ = make_app(tls, {"corp": settings})
    async with app.test_app() as test_app:
        response = await test_app.test_client().get("/login/corp")
    location = URL(response.headers["Location"])
    assert location.query["redirect_uri"] == "https://public.example/login/corp/authorized"
