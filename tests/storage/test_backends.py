"""What each backend does of its own: SQL tables and migrations, Redis TTLs."""

from __future__ import annotations

import asyncio
import secrets
import time
from pathlib import Path

import pytest

from quart_oauthlib.storage.redis import RedisTokenStore
from quart_oauthlib.storage.sqla import SQLTokenStore, default_account_id
from tests.storage.conftest import REDIS_ENV, backend_url, server_url


@pytest.fixture(params=["sqlite", "postgres"])
async def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return backend_url(str(request.param), tmp_path)


async def test_table_created_on_demand_or_by_migration(sql_url: str) -> None:
    name = f"t_{secrets.token_hex(6)}"
    manual = SQLTokenStore(sql_url, table_name=name, create_table=False)
    try:
        with pytest.raises(Exception, match=name):  # no table yet, and none is made
            await manual.get("corp", "user:alice")
        await manual.create_table()  # what a migration does
        await manual.create_table()  # idempotent
        await manual.set("corp", "user:alice", {"access_token": "a", "sub": "s-1"})
        assert await manual.find_user("corp", "s-1") == "user:alice"
    finally:
        await manual.close()
    on_demand = SQLTokenStore(sql_url, table_name=f"t_{secrets.token_hex(6)}")
    try:
        assert await on_demand.get("corp", "user:alice") is None
        assert "SQLTokenStore" in repr(on_demand)
    finally:
        await on_demand.close()


def test_account_id_from_token() -> None:
    assert default_account_id({"user_id": 42}) == "42"
    assert default_account_id({"sub": "abc"}) == "abc"
    assert default_account_id({"id": True}) is None
    assert default_account_id({"access_token": "x"}) is None


@pytest.fixture
async def redis_store() -> RedisTokenStore:
    url = server_url(REDIS_ENV)
    return RedisTokenStore(url, prefix=f"t_{secrets.token_hex(6)}", refresh_token_ttl=3600)


async def test_redis_ttl_follows_refresh_token(redis_store: RedisTokenStore) -> None:
    store = redis_store
    try:
        key = store.key("corp", "user:alice")
        await store.set("corp", "user:alice", {"access_token": "a", "refresh_token": "r"})
        assert 3590_000 < await store.client().pttl(key) <= 3600_000  # the configured life
        told = {"access_token": "a", "refresh_token": "r", "refresh_token_expires_in": 600}
        await store.set("corp", "user:alice", told)
        assert 590_000 < await store.client().pttl(key) <= 600_000  # the provider's word
        no_refresh = {"access_token": "a", "expires_at": time.time() + 120}
        await store.set("corp", "user:alice", no_refresh)
        assert 110_000 < await store.client().pttl(key) <= 120_000  # until the access token dies
        await store.set("corp", "user:alice", {"access_token": "a"})
        assert await store.client().pttl(key) == -1  # nothing says when it dies
        forever = RedisTokenStore(store.client(), refresh_token_ttl=None)
        assert forever.ttl({"refresh_token": "r"}) is None
        await forever.close()  # a client it was given stays open
        assert await store.client().ping()
    finally:
        await store.close()


async def test_a_new_fleet_creates_the_table_once_without_errors(sql_url: str) -> None:
    # Eight workers start together on an empty database: each store checks for the
    # table and creates it; those that lose the race must not fail their first call.
    name = f"t_{secrets.token_hex(6)}"
    fleet = [SQLTokenStore(sql_url, table_name=name) for _ in range(8)]
    try:
        answers = await asyncio.gather(
            *(store.get("corp", f"user:{i}") for i, store in enumerate(fleet)),
            return_exceptions=True,
        )
        assert answers == [None] * 8
        await fleet[0].set("corp", "user:0", {"access_token": "a"})
        assert await fleet[7].get("corp", "user:0") == {"access_token": "a"}
    finally:
        for store in fleet:
            await store.close()


async def test_new_sqlite_files_opened_by_many_stores_at_once_never_report_locked(
    tmp_path: Path,
) -> None:
    # Switching a new file to WAL is not covered by SQLite's busy timeout: without the
    # retry, about one fleet in twenty saw "database is locked" on its first call.
    failures = []
    for round_ in range(40):
        url = f"sqlite+aiosqlite:///{tmp_path}/fleet{round_}.sqlite3"
        fleet = [SQLTokenStore(url) for _ in range(8)]
        try:
            answers = await asyncio.gather(
                *(store.get("corp", f"user:{i}") for i, store in enumerate(fleet)),
                return_exceptions=True,
            )
            failures += [answer for answer in answers if answer is not None]
        finally:
            for store in fleet:
                await store.close()
    assert failures == []
