"""The RefreshCoordinator with two apps ("workers") sharing one SQLite, PostgreSQL or Redis store.

The provider rotates refresh tokens and revokes the whole family when an old
one is replayed (RFC 9700 §4.14.2): a second grant with the same refresh
token signs the user out. These tests cancel requests in the middle of a
refresh, let a lease run out under its holder, and lose the reply of a lease
acquisition, and count the grants that reach the provider.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from quart import Quart

from quart_oauthlib import QuartOAuth, token_updated
from quart_oauthlib.extension.refresh import RefreshCoordinator
from quart_oauthlib.storage.base import Lease
from quart_oauthlib.storage.redis import RedisTokenStore
from tests.ext.conftest import corp_settings, hang_up_mid_grant, make_app, wait_for_grant
from tests.fake_provider.oauth2 import OAuth2Provider, running_provider
from tests.fake_provider.serving import TLS
from tests.storage.conftest import Store, backend_url, make_store

USER = "user:alice"


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[OAuth2Provider]:
    async with running_provider(tls) as running:
        yield running


@pytest.fixture
async def shared(backend: str, tmp_path: Path) -> AsyncIterator[Any]:
    """Makes stores on one fresh table (or key prefix): one per worker."""
    url = backend_url(backend, tmp_path)
    namespace = f"t_{secrets.token_hex(6)}"
    made: list[Store] = []

    def factory(**options: Any) -> Store:
        store = make_store(backend, url, namespace, **options)
        made.append(store)
        return store

    yield factory
    for store in made:
        await store.close()


def worker(tls: TLS, provider: OAuth2Provider, store: Any) -> Quart:
    """An app whose ``/profile`` calls the provider's API with alice's token."""
    oauth = QuartOAuth(store=store, user_id_loader=lambda: "alice")
    app, _ = make_app(tls, {"corp": corp_settings(provider)}, oauth)
    return app


async def seed_expired(provider: OAuth2Provider, store: Store) -> dict[str, Any]:
    token = provider.issue_token()
    token["expires_at"] = time.time() - 5
    await store.set("corp", USER, token)
    provider.expire_all_access_tokens()
    return token


async def get_profile(client: Any) -> int:
    response = await client.get("/profile", headers={"Accept": "application/json"})
    if response.status_code != 200:
        return int(response.status_code)
    return int((await response.get_json())["status"])  # the provider API's answer


async def lease_holder(store: Store) -> Any:
    """Whoever holds alice's refresh lease in the store (None: nobody)."""
    if isinstance(store, RedisTokenStore):
        return await store.client().get(store.lease_key("corp", USER))
    from sqlalchemy import select

    t = store.table
    query = select(t.c.lease_holder, t.c.lease_until).where(t.c.user_id == USER)
    async with (await store.engine()).connect() as conn:
        holder, until = (await conn.execute(query)).one()
    return holder if until is not None and until > time.time() else None


async def test_request_cancelled_mid_refresh_makes_one_grant_across_workers(
    tls: TLS, provider: OAuth2Provider, shared: Any
) -> None:
    provider.quirks.refresh_delay_seconds = 0.5
    store_a, store_b = shared(), shared()
    token = await seed_expired(provider, store_a)
    app_a, app_b = worker(tls, provider, store_a), worker(tls, provider, store_b)
    async with app_a.test_app() as test_a, app_b.test_app() as test_b:
        client_a, client_b = test_a.test_client(), test_b.test_client()
        await hang_up_mid_grant(client_a, provider, "/profile")
        statuses = await asyncio.gather(
            *(get_profile(client) for client in (client_a, client_b) for _ in range(3))
        )
        after = [await get_profile(client_a), await get_profile(client_b)]
    stored = await store_a.get("corp", USER)
    assert provider.grant_counts["refresh_token"] == 1
    assert statuses == [200] * 6 and after == [200, 200]  # still signed in
    assert stored is not None and stored["access_token"] != token["access_token"]
    assert provider.is_active(stored["refresh_token"])
    assert await lease_holder(store_a) is None


async def test_late_write_back_after_the_lease_ran_out_is_refused(
    tls: TLS, provider: OAuth2Provider, shared: Any
) -> None:
    # Worker A's lease lives 0.3 s, but A stalls for longer (a paused process: its
    # deadline is set past the lease to let it write late). Meanwhile the user signs
    # in again through worker B. A's refreshed token must not replace B's newer one.
    provider.quirks.refresh_delay_seconds = 0.8
    store_a, store_b = shared(lease_seconds=0.3), shared()
    await seed_expired(provider, store_a)
    app_a = worker(tls, provider, store_a)
    app_a.extensions["quart_oauthlib"].refresher = RefreshCoordinator(store_a, deadline=10)
    async with app_a.test_app() as test_a:
        client_a = test_a.test_client()
        late = asyncio.create_task(get_profile(client_a))
        await wait_for_grant(provider)
        await asyncio.sleep(0.4)  # A's lease has run out; its grant is still in flight
        assert await lease_holder(store_b) is None
        relogin = provider.issue_token()  # a new login at worker B: a new family
        await store_b.set("corp", USER, relogin)
        assert await late == 200  # A's request goes on with the newer token
        assert await get_profile(client_a) == 200
    stored = await store_b.get("corp", USER)
    assert provider.grant_counts["refresh_token"] == 1
    assert stored is not None and stored["access_token"] == relogin["access_token"]
    assert provider.is_active(stored["refresh_token"])  # the newer family survives


@pytest.mark.parametrize("failure", [ConnectionResetError, asyncio.CancelledError])
async def test_a_lost_lease_acquisition_leaves_no_ghost_lease(
    tls: TLS, provider: OAuth2Provider, shared: Any, failure: type[BaseException]
) -> None:
    # The lease is taken, then the reply is lost (a dropped connection, or the task
    # cancelled as the commit went through). Without giving it back under the same
    # holder, the user could not refresh for the lease's 20 s.
    store = shared(lease_seconds=20, lease_wait=1)
    token = await seed_expired(provider, store)
    real_acquire = store.acquire_lease
    failures = [failure]

    async def lossy_acquire(lease: Lease) -> bool:
        taken = await real_acquire(lease)
        if failures:
            raise failures.pop()
        return taken

    store.acquire_lease = lossy_acquire  # type: ignore[method-assign]
    app = worker(tls, provider, store)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        assert await get_profile(client) == 503  # the refresh could not be done now
        assert await lease_holder(store) is None
        assert (await store.get("corp", USER)) == token  # kept
        assert provider.grant_counts["refresh_token"] == 0
        started = time.monotonic()
        assert await get_profile(client) == 200  # no wait for a ghost lease
    assert time.monotonic() - started < 1
    assert provider.grant_counts["refresh_token"] == 1


async def test_request_cancelled_while_waiting_for_the_lease_leaves_no_ghost_lease(
    tls: TLS, provider: OAuth2Provider, shared: Any
) -> None:
    store = shared(lease_seconds=20)
    token = await seed_expired(provider, store)
    other = Lease("corp", USER, 20)  # another worker holds the lease for a moment
    assert await store.acquire_lease(other)
    app = worker(tls, provider, store)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        async with client.request("/profile") as connection:
            await connection.send_complete()
            await asyncio.sleep(0.3)  # waiting for the lease
            await connection.disconnect()  # the browser hangs up
        await store.release_lease(other)
        assert await get_profile(client) == 200  # joins the refresh the cancelled one started
        assert await get_profile(client) == 200
    assert provider.grant_counts["refresh_token"] == 1
    assert await lease_holder(store) is None
    stored = await store.get("corp", USER)
    assert stored is not None and stored["access_token"] != token["access_token"]


async def test_token_updated_receivers_run_after_the_lease_is_released(
    tls: TLS, provider: OAuth2Provider, shared: Any
) -> None:
    store = shared()
    await seed_expired(provider, store)
    app = worker(tls, provider, store)
    seen: list[Any] = []

    async def on_update(sender: Quart, **kwargs: Any) -> None:
        seen.append(await lease_holder(store))  # a slow receiver here holds up no worker

    with token_updated.connected_to(on_update, sender=app):
        async with app.test_app() as test_app:
            assert await get_profile(test_app.test_client()) == 200
    assert seen == [None]
