"""Tokens, codes, verifiers and client secrets never reach the logs or error pages."""

from __future__ import annotations

import logging
import time

import pytest
from yarl import URL

from quart_oauthlib import MemoryTokenStore, QuartOAuth
from tests.ext.conftest import SECRET, corp_settings, follow_provider, make_app
from tests.fake_provider.oauth2 import OAuth2Provider
from tests.fake_provider.serving import TLS


async def test_whole_lifecycle_logs_no_secret(
    tls: TLS, provider: OAuth2Provider, caplog: pytest.LogCaptureFixture
) -> None:
    store = MemoryTokenStore()
    app, _ = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))
    secrets: set[str] = {SECRET}
    pages: list[str] = []
    with caplog.at_level(logging.DEBUG):
        async with app.test_app() as test_app:
            client = test_app.test_client()
            response = await client.get("/login/corp")
            back = await follow_provider(tls, response.headers["Location"])
            secrets.add(back.query["code"])
            async with client.session_transaction() as session:
                secrets.update(r["v"] for r in session["_oauth_flows"].values())
            await client.get(back.path, query_string=dict(back.query))
            ((_, token),) = store._tokens.items()
            secrets.update((token["access_token"], token["refresh_token"]))
            token["expires_at"] = time.time() - 5
            assert (await client.get("/profile")).status_code == 200  # refreshes
            ((_, token),) = store._tokens.items()
            secrets.update((token["access_token"], token["refresh_token"]))
            # a replayed callback, a failed exchange: error pages too
            replay = await client.get(back.path, query_string=dict(back.query))
            pages.append(await replay.get_data(as_text=True))
            await client.post("/logout/corp")
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "Refreshed the access token" in logged or "Signed in" in logged
    for secret in secrets:
        assert secret not in logged
        for page in pages:
            assert secret not in page


async def test_failed_exchange_page_and_log_hold_no_secret(
    tls: TLS, provider: OAuth2Provider, caplog: pytest.LogCaptureFixture
) -> None:
    settings = corp_settings(provider, client_secret="the-wrong-secret")
    app, _ = make_app(tls, {"corp": settings})
    with caplog.at_level(logging.DEBUG):
        async with app.test_app() as test_app:
            client = test_app.test_client()
            response = await client.get("/login/corp")
            state = URL(response.headers["Location"]).query["state"]
            back = await follow_provider(tls, response.headers["Location"])
            failed = await client.get(back.path, query_string=dict(back.query))
    page = await failed.get_data(as_text=True)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("the-wrong-secret", back.query["code"], state):
        assert secret not in page and secret not in logged
