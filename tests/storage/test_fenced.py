"""The fenced lease API of the shared and memory stores, and custom stores without it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import pytest

from quart_oauthlib import MemoryTokenStore, SessionTokenStore
from quart_oauthlib.extension.refresh import RefreshCoordinator
from quart_oauthlib.storage.base import FencedTokenStore, Lease, Token
from tests.storage.conftest import StoreFactory

OLD = {"access_token": "a0", "refresh_token": "r0", "expires_at": 1}


@pytest.fixture(params=["shared", "memory"])
def fenced(request: pytest.FixtureRequest, stores: StoreFactory) -> Any:
    """Makes stores sharing their tokens: a backend's, or (once per backend) the memory store."""
    if request.param == "memory":
        memory = MemoryTokenStore()
        return lambda **_: memory
    return stores


async def test_stores_are_fenced_but_the_cookie_store_is_not(stores: StoreFactory) -> None:
    assert isinstance(stores(), FencedTokenStore)
    assert isinstance(MemoryTokenStore(), FencedTokenStore)
    assert not isinstance(SessionTokenStore(), FencedTokenStore)


async def test_lease_is_exclusive_reacquirable_by_its_holder_and_freed_only_by_it(
    fenced: Any,
) -> None:
    store = fenced()
    await store.set("p", "u", OLD)
    mine, theirs = Lease("p", "u", 30), Lease("p", "u", 30)
    assert await store.acquire_lease(mine)
    assert await store.acquire_lease(mine)  # a retry after a lost reply: still ours
    assert not await store.acquire_lease(theirs)
    await store.release_lease(theirs)  # not theirs to free
    assert not await store.acquire_lease(theirs)
    await store.release_lease(mine)
    assert await store.acquire_lease(theirs)


async def test_an_expired_lease_can_be_taken_by_another_holder(fenced: Any) -> None:
    store = fenced()
    await store.set("p", "u", OLD)
    assert await store.acquire_lease(Lease("p", "u", 0.05))
    await asyncio.sleep(0.1)
    assert await store.acquire_lease(Lease("p", "u", 30))


async def test_write_back_only_if_nothing_was_written_since_the_read(fenced: Any) -> None:
    store, other = fenced(), fenced()
    await store.set("p", "u", OLD)
    lease = Lease("p", "u", 30)
    assert await store.acquire_lease(lease)
    assert await store.read_leased(lease) == OLD
    newer = {"access_token": "a-login", "refresh_token": "r-login"}
    await other.set("p", "u", newer)  # a login (or a worker whose lease outlived ours)
    assert not await store.write_if_unchanged(lease, {"access_token": "a1"})
    assert not await store.write_if_unchanged(lease, None)  # nor dropped
    assert await store.get("p", "u") == newer
    lease = Lease("p", "u", 30)
    assert await store.read_leased(lease) == newer
    assert await store.write_if_unchanged(lease, {"access_token": "a2", "refresh_token": "r2"})
    assert (await other.get("p", "u") or {})["access_token"] == "a2"
    lease = Lease("p", "u", 30)
    await store.read_leased(lease)
    assert await store.write_if_unchanged(lease, None)
    assert await other.get("p", "u") is None


class PlainStore:
    """A custom store of the oldest kind: get, set, delete and nothing else."""

    def __init__(self) -> None:
        self.tokens: dict[tuple[str, str], Token] = {}

    async def get(self, provider: str, user_id: str) -> Token | None:
        token = self.tokens.get((provider, user_id))
        return dict(token) if token else None

    async def set(self, provider: str, user_id: str, token: Mapping[str, Any]) -> None:
        self.tokens[(provider, user_id)] = dict(token)

    async def delete(self, provider: str, user_id: str) -> None:
        self.tokens.pop((provider, user_id), None)


async def test_a_plain_custom_store_gets_one_refresh_per_process_even_when_callers_cancel() -> None:
    store = PlainStore()
    old = {"access_token": "a0", "refresh_token": "r0", "expires_at": time.time() - 5}
    await store.set("p", "u", old)
    coordinator = RefreshCoordinator(store)
    grants: list[Token] = []

    async def grant(stored: Token) -> Token:
        grants.append(stored)
        await asyncio.sleep(0.2)
        return {"access_token": "a1", "refresh_token": "r1", "expires_at": time.time() + 3600}

    first = asyncio.create_task(coordinator.refresh("p", "u", old, grant))
    await asyncio.sleep(0.05)
    first.cancel()  # the refresh goes on
    results = await asyncio.gather(*(coordinator.refresh("p", "u", old, grant) for _ in range(3)))
    late = await coordinator.refresh("p", "u", old, grant)  # holding the replaced token
    assert first.cancelled()
    assert len(grants) == 1 and grants[0]["refresh_token"] == "r0"
    assert {r["access_token"] for r in [*results, late]} == {"a1"}
    assert (await store.get("p", "u") or {})["access_token"] == "a1"
    assert not coordinator.in_flight("p", "u")
