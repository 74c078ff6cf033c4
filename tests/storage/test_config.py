"""OAUTH_TOKEN_STORE as a URL, with OAUTH_TOKEN_ENCRYPTION_KEYS; the store closes with the app."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from quart import Quart

from quart_oauthlib import QuartOAuth
from quart_oauthlib.errors import ConfigurationError
from quart_oauthlib.storage.encryption import FernetCodec
from quart_oauthlib.storage.redis import RedisTokenStore
from quart_oauthlib.storage.sqla import SQLTokenStore

TOKEN = {"access_token": "secret-at", "expires_at": 4_102_444_800}


def app_with(**config: object) -> Quart:
    app = Quart(__name__)
    app.config.update(SECRET_KEY="k", OAUTH_PROVIDERS={}, **config)
    QuartOAuth(app)
    return app


async def test_sqlite_url_with_encryption(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    app = app_with(
        OAUTH_TOKEN_STORE=f"sqlite:///{tmp_path}/t.sqlite3", OAUTH_TOKEN_ENCRYPTION_KEYS=[key]
    )
    store = app.extensions["quart_oauthlib"].store
    assert isinstance(store, SQLTokenStore)
    assert isinstance(store.codec, FernetCodec)
    async with app.test_app():
        await store.set("corp", "user:alice", TOKEN)
        assert await store.get("corp", "user:alice") == TOKEN
        assert store._engine is not None
    assert store._engine is None  # disposed at after_serving


def test_redis_and_postgres_urls() -> None:
    redis_store = (
        app_with(OAUTH_TOKEN_STORE="redis://127.0.0.1:1/0").extensions["quart_oauthlib"].store
    )
    assert isinstance(redis_store, RedisTokenStore)
    pg = app_with(OAUTH_TOKEN_STORE="postgresql://u@127.0.0.1:1/db").extensions["quart_oauthlib"]
    assert isinstance(pg.store, SQLTokenStore)
    assert pg.store._url == "postgresql+asyncpg://u@127.0.0.1:1/db"  # no connection made


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"OAUTH_TOKEN_STORE": "mongodb://x"}, "no token store for 'mongodb'"),
        (
            {"OAUTH_TOKEN_STORE": "redis://x", "OAUTH_TOKEN_ENCRYPTION_KEYS": "nope"},
            "OAUTH_TOKEN_ENCRYPTION_KEYS",
        ),
        # Keys that would encrypt nothing: refused rather than silently ignored.
        ({"OAUTH_TOKEN_ENCRYPTION_KEYS": "k"}, "only applies when OAUTH_TOKEN_STORE is a"),
        (
            {"OAUTH_TOKEN_STORE": "memory", "OAUTH_TOKEN_ENCRYPTION_KEYS": ["k"]},
            "the session store cannot encrypt",
        ),
    ],
)
def test_bad_store_settings(config: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        app_with(**config)


def test_the_lease_outlives_the_slowest_refresh() -> None:
    # A lease that expired while its holder still waited for the token endpoint would
    # let a second worker spend the same rotating refresh token.
    from quart_oauthlib.client._transport import DEFAULT_TOKEN_TIMEOUT
    from quart_oauthlib.extension import DEFAULTS
    from quart_oauthlib.storage._lease import DEFAULT_LEASE_SECONDS

    assert DEFAULT_LEASE_SECONDS > DEFAULT_TOKEN_TIMEOUT
    assert DEFAULT_LEASE_SECONDS > DEFAULTS["OAUTH_HTTP_TIMEOUT"]
