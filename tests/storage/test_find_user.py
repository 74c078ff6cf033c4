"""Every server-side store finds the user by their account at a provider (back-channel logout)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from quart_oauthlib.storage import Lease, MemoryTokenStore, SessionTokenStore, UserFinder
from quart_oauthlib.storage.redis import RedisTokenStore
from tests.storage.conftest import BACKENDS, REDIS_ENV, Store, backend_url, make_store, server_url

AnyStore = Store | MemoryTokenStore
Factory = Callable[..., AnyStore]

TOKEN = {
    "access_token": "at-1",
    "token_type": "Bearer",
    "refresh_token": "rt-1",
    "expires_at": 4_102_444_800,
    "sub": "acct-1",
}


@pytest.fixture(params=["memory", *BACKENDS])
async def finders(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Factory]:
    """Stores of one backend sharing their tokens (one per "worker")."""
    made: list[AnyStore] = []
    if request.param == "memory":

        def memory(**options: Any) -> AnyStore:
            if not made:  # one process: its "workers" share the one store
                made.append(MemoryTokenStore(**options))
            return made[0]

        yield memory
        return
    url = backend_url(request.param, tmp_path)
    namespace = f"t_{secrets.token_hex(6)}"

    def shared(**options: Any) -> AnyStore:
        made.append(make_store(request.param, url, namespace, **options))
        return made[-1]

    yield shared
    for store in made:
        assert not isinstance(store, MemoryTokenStore)
        await store.close()


async def test_find_user_by_account(finders: Factory) -> None:
    store = finders()
    assert isinstance(store, UserFinder)
    assert await store.find_user("corp", "acct-1") is None
    await store.set("corp", "user:alice", TOKEN)
    await store.set("corp", "user:bob", {**TOKEN, "sub": "acct-2"})
    await store.set("other", "user:alice", {**TOKEN, "sub": "acct-9"})
    assert await store.find_user("corp", "acct-1") == "user:alice"
    assert await store.find_user("corp", "acct-2") == "user:bob"
    assert await store.find_user("other", "acct-9") == "user:alice"
    assert await store.find_user("other", "acct-1") is None  # per provider
    assert await finders().find_user("corp", "acct-2") == "user:bob"  # another worker


async def test_the_index_goes_with_the_token(finders: Factory) -> None:
    store = finders()
    await store.set("corp", "user:alice", TOKEN)
    await store.delete("corp", "user:alice")
    assert await store.find_user("corp", "acct-1") is None
    # A new account for the same user moves the index.
    await store.set("corp", "user:alice", TOKEN)
    await store.set("corp", "user:alice", {**TOKEN, "sub": "acct-7"})
    assert await store.find_user("corp", "acct-1") is None
    assert await store.find_user("corp", "acct-7") == "user:alice"


async def test_a_refreshed_token_without_sub_keeps_the_account(finders: Factory) -> None:
    # A refresh answer rarely repeats the account id: back-channel logout must still
    # find the user after a refresh.
    store = finders()
    await store.set("corp", "user:alice", TOKEN)
    refreshed = {key: value for key, value in TOKEN.items() if key != "sub"}
    await store.set("corp", "user:alice", {**refreshed, "access_token": "at-2"})
    assert await store.find_user("corp", "acct-1") == "user:alice"
    await store.delete("corp", "user:alice")
    assert await store.find_user("corp", "acct-1") is None


async def test_the_fenced_write_back_keeps_the_index(finders: Factory) -> None:
    store = finders()
    if not hasattr(store, "acquire_lease"):
        pytest.skip("no lease")
    await store.set("corp", "user:alice", TOKEN)
    lease = Lease("corp", "user:alice", 5)
    assert await store.acquire_lease(lease)
    await store.read_leased(lease)
    assert await store.write_if_unchanged(lease, {"access_token": "at-2", "refresh_token": "r2"})
    assert await store.find_user("corp", "acct-1") == "user:alice"
    await store.read_leased(lease)
    assert await store.write_if_unchanged(lease, None)  # a dead grant: dropped, index too
    assert await store.find_user("corp", "acct-1") is None


async def test_an_account_linked_by_another_user_is_theirs(finders: Factory) -> None:
    store = finders()
    await store.set("corp", "user:alice", TOKEN)
    await store.set("corp", "user:bob", TOKEN)  # the same account, linked later
    assert await store.find_user("corp", "acct-1") == "user:bob"
    # Alice's refresh (no sub) or logout does not remove Bob's entry.
    await store.set("corp", "user:alice", {"access_token": "at-3", "refresh_token": "r"})
    assert await store.find_user("corp", "acct-1") in ("user:alice", "user:bob")
    await store.delete("corp", "user:alice")
    assert await store.find_user("corp", "acct-1") == "user:bob"


async def test_a_custom_account_id(finders: Factory) -> None:
    store = finders(account_id=lambda token: token.get("uid"))
    await store.set("corp", "user:alice", {**TOKEN, "uid": "u-5"})
    assert await store.find_user("corp", "u-5") == "user:alice"
    assert await store.find_user("corp", "acct-1") is None


def test_the_session_store_is_no_user_finder() -> None:
    # Tokens in cookies cannot be found (nor deleted) from a back-channel request.
    assert not isinstance(SessionTokenStore(), UserFinder)


async def test_redis_index_expires_with_the_token() -> None:
    from redis.asyncio import Redis

    url = server_url(REDIS_ENV)
    store = RedisTokenStore(url, prefix="t_expiry")
    client: Any = Redis.from_url(url)
    try:
        await store.set("corp", "user:alice", {"access_token": "a", "expires_at": 0, "sub": "x"})
        ttls = [
            await client.pttl(key)
            for key in (
                store.key("corp", "user:alice"),
                store.account_key("corp", "x"),
                store.account_of_key("corp", "user:alice"),
            )
        ]
        assert all(0 < ttl <= 1000 for ttl in ttls), ttls
        await asyncio.sleep(1.1)
        assert await store.find_user("corp", "x") is None
        assert await client.exists(store.account_of_key("corp", "user:alice")) == 0
    finally:
        await client.aclose()
        await store.close()
