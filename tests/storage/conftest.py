"""Shared token stores, against real servers.

SQLite uses a temporary file. PostgreSQL and Redis are the servers named by
``QUART_OAUTHLIB_TEST_POSTGRES_URL`` and ``QUART_OAUTHLIB_TEST_REDIS_URL``
(``.ci/services.sh`` starts both): without the variable, their tests are
skipped with the reason; with it, an unreachable server fails them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from quart_oauthlib.storage.redis import RedisTokenStore
from quart_oauthlib.storage.sqla import SQLTokenStore

POSTGRES_ENV = "QUART_OAUTHLIB_TEST_POSTGRES_URL"
REDIS_ENV = "QUART_OAUTHLIB_TEST_REDIS_URL"
BACKENDS = ["sqlite", "postgres", "redis"]

Store = SQLTokenStore | RedisTokenStore
StoreFactory = Callable[..., Store]


def server_url(env: str) -> str:
    """The URL in ``env``, or skip: no such server for this run."""
    url = os.environ.get(env)
    if not url:
        pytest.skip(f"{env} is not set, so there is no server to test against (.ci/services.sh)")
    return url


def backend_url(backend: str, tmp_path: Path) -> str:
    """Where ``backend``'s store lives for one test."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/tokens.sqlite3"
    return server_url(POSTGRES_ENV if backend == "postgres" else REDIS_ENV)


def make_store(backend: str, url: str, namespace: str, **options: Any) -> Store:
    """A store on ``url``; stores made with the same ``namespace`` share their tokens."""
    if backend == "redis":
        return RedisTokenStore(url, prefix=namespace, **options)
    return SQLTokenStore(url, table_name=namespace, **options)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def stores(backend: str, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """Makes stores sharing one fresh table (or key prefix): one per "worker"."""
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
