"""Every shared store keeps tokens, and leases refreshes across processes."""

from __future__ import annotations

import asyncio
import time

import pytest

from quart_oauthlib.storage import LockingTokenStore, TokenStore
from quart_oauthlib.storage._lease import LeaseTimeoutError
from tests.storage.conftest import StoreFactory

TOKEN = {
    "access_token": "at-1",
    "token_type": "Bearer",
    "refresh_token": "rt-1",
    "expires_at": 4_102_444_800,
    "user_id": "gh-42",
}


async def test_get_set_delete(stores: StoreFactory) -> None:
    store = stores()
    assert isinstance(store, TokenStore) and isinstance(store, LockingTokenStore)
    assert await store.get("corp", "user:alice") is None
    await store.set("corp", "user:alice", TOKEN)
    got = await store.get("corp", "user:alice")
    assert got == TOKEN
    assert got is not None
    got["access_token"] = "changed"
    assert await store.get("corp", "user:alice") == TOKEN  # a copy was returned
    await store.set("corp", "user:alice", {**TOKEN, "access_token": "at-2"})
    assert (await store.get("corp", "user:alice") or {})["access_token"] == "at-2"
    assert await store.get("corp", "user:bob") is None
    assert await store.get("other", "user:alice") is None
    await store.delete("corp", "user:alice")
    await store.delete("corp", "user:alice")  # no error when there is none
    assert await store.get("corp", "user:alice") is None


async def test_workers_share_tokens(stores: StoreFactory) -> None:
    one, two = stores(), stores()
    await one.set("corp", "user:alice", TOKEN)
    assert await two.get("corp", "user:alice") == TOKEN


async def test_one_user_links_several_accounts(stores: StoreFactory) -> None:
    store = stores()
    await store.set("corp", "user:alice", TOKEN)
    await store.set("other", "user:alice", {**TOKEN, "user_id": "other-7"})
    assert (await store.get("corp", "user:alice") or {})["user_id"] == "gh-42"
    assert (await store.get("other", "user:alice") or {})["user_id"] == "other-7"
    find_user = getattr(store, "find_user", None)
    if find_user is not None:  # the SQL store indexes the provider's account id
        assert await find_user("corp", "gh-42") == "user:alice"
        assert await find_user("other", "other-7") == "user:alice"
        assert await find_user("corp", "other-7") is None


async def test_lease_is_exclusive_across_workers(stores: StoreFactory) -> None:
    one, two = stores(), stores(lease_wait=0.3)
    await one.set("corp", "user:alice", TOKEN)
    async with one.lock("corp", "user:alice"):
        with pytest.raises(LeaseTimeoutError):
            async with two.lock("corp", "user:alice"):
                pytest.fail("two workers held the same lease")
        async with two.lock("corp", "user:bob"):  # another user's lease is free
            pass
    async with two.lock("corp", "user:alice"):  # given back
        pass


async def test_waiting_worker_gets_lease_when_released(stores: StoreFactory) -> None:
    one, two = stores(), stores()
    await one.set("corp", "user:alice", TOKEN)
    order: list[str] = []

    async def hold() -> None:
        async with one.lock("corp", "user:alice"):
            order.append("one in")
            await asyncio.sleep(0.2)
            order.append("one out")

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0.05)
    async with two.lock("corp", "user:alice"):
        order.append("two in")
    await holder
    assert order == ["one in", "one out", "two in"]


async def test_dead_holder_blocks_only_until_lease_expires(stores: StoreFactory) -> None:
    dead, alive = stores(lease_seconds=0.5), stores(lease_wait=5)
    await dead.set("corp", "user:alice", TOKEN)
    held = dead.lock("corp", "user:alice")
    await held.__aenter__()  # taken, and not given back while the other waits
    started = time.monotonic()
    async with alive.lock("corp", "user:alice"):
        waited = time.monotonic() - started
    await held.__aexit__(None, None, None)  # too late: a no-op, the lease is someone else's
    assert 0.2 < waited < 3


async def test_lease_can_be_disabled(stores: StoreFactory) -> None:
    one, two = stores(lease_seconds=None), stores(lease_seconds=None)
    await one.set("corp", "user:alice", TOKEN)
    async with one.lock("corp", "user:alice"), two.lock("corp", "user:alice"):
        pass
