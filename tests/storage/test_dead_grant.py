"""A refused refresh signs the user out once; concurrent requests do not replay it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from quart_oauthlib import MemoryTokenStore, QuartOAuth
from tests.ext.conftest import corp_settings, make_app
from tests.fake_provider.oauth2 import running_provider
from tests.fake_provider.serving import TLS
from tests.storage.conftest import StoreFactory


async def test_invalid_grant_is_not_retried_by_waiting_requests(tls: TLS) -> None:
    store = MemoryTokenStore()
    await _run(tls, store)
    assert len(store) == 0


async def test_invalid_grant_drops_the_shared_token_for_every_worker(
    tls: TLS, stores: StoreFactory
) -> None:
    # Two "workers" (two apps, two stores) on one SQL table or Redis prefix.
    first, second = stores(), stores()
    await _run(tls, first, second)
    assert await first.get("corp", "user:alice") is None
    assert await second.get("corp", "user:alice") is None


async def _run(tls: TLS, store: Any, other: Any = None) -> None:
    async with running_provider(tls) as provider:
        provider.quirks.fail_refresh_with = "invalid_grant"
        provider.quirks.refresh_delay_seconds = 0.2
        token = provider.issue_token()
        token["expires_at"] = time.time() - 5
        await store.set("corp", "user:alice", token)
        settings = corp_settings(provider, scope=None)
        apps = [
            make_app(tls, {"corp": settings}, QuartOAuth(store=s, user_id_loader=lambda: "alice"))[
                0
            ]
            for s in ([store, other] if other is not None else [store])
        ]
        async with apps[0].test_app() as a0:
            clients = [a0.test_client()]
            if len(apps) == 1:
                responses = await asyncio.gather(*(clients[0].get("/profile") for _ in range(8)))
                again = await clients[0].get("/profile")
            else:
                async with apps[1].test_app() as a1:
                    clients.append(a1.test_client())
                    responses = await asyncio.gather(
                        *(clients[i % 2].get("/profile") for i in range(8))
                    )
                    again = await clients[1].get("/profile")
        assert [r.status_code for r in responses] == [302] * 8
        assert provider.grant_counts["refresh_token"] == 1  # one refusal, no loop of retries
        assert again.status_code == 302  # @require sends the user to sign in again
        assert provider.grant_counts["refresh_token"] == 1
