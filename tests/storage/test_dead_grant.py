"""A refused refresh signs the user out once; concurrent requests do not replay it."""

from __future__ import annotations

import asyncio
import time

from quart_oauthlib import MemoryTokenStore, QuartOAuth
from tests.ext.conftest import corp_settings, make_app
from tests.fake_provider.oauth2 import OAuth2Provider, running_provider
from tests.fake_provider.serving import TLS


async def test_invalid_grant_is_not_retried_by_waiting_requests(tls: TLS) -> None:
    async with running_provider(tls) as provider:
        await _run(tls, provider)


async def _run(tls: TLS, provider: OAuth2Provider) -> None:
    provider.quirks.fail_refresh_with = "invalid_grant"
    provider.quirks.refresh_delay_seconds = 0.2
    store = MemoryTokenStore()
    oauth = QuartOAuth(store=store, user_id_loader=lambda: "alice")
    settings = corp_settings(provider, scope=None)
    app, _ = make_app(tls, {"corp": settings}, oauth)
    token = provider.issue_token()
    token["expires_at"] = time.time() - 5
    await store.set("corp", "user:alice", token)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        responses = await asyncio.gather(*(client.get("/profile") for _ in range(8)))
        again = await client.get("/profile")
    assert [r.status_code for r in responses] == [302] * 8
    assert provider.grant_counts["refresh_token"] == 1  # one refusal, no loop of retries
    assert len(store) == 0
    assert again.status_code == 302  # @require sends the user to sign in again
    assert provider.grant_counts["refresh_token"] == 1
