"""A shared token store from a URL: what ``OAUTH_TOKEN_STORE = "<url>"`` builds."""

from __future__ import annotations

from typing import Any

from ..errors import ConfigurationError
from ._lease import TokenCodec
from .base import TokenStore

__all__ = ["close_store", "store_from_url"]

_SQL_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
_SQL_DRIVERS["postgres"] = _SQL_DRIVERS["postgresql"]


def store_from_url(url: str, *, encryption_keys: Any = None) -> TokenStore:
    """An SQL store (``sqlite``/``postgresql`` URLs) or a Redis store (``redis``/``rediss``).

    Plain ``sqlite:///`` and ``postgresql://`` URLs get the asyncio drivers
    (aiosqlite, asyncpg). With ``encryption_keys`` (one Fernet key or several,
    newest first) tokens are encrypted at rest.

    Raises:
        ConfigurationError: An unknown scheme, bad keys, or a missing extra.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ConfigurationError("OAUTH_TOKEN_STORE must be 'session', 'memory', a URL or a store.")
    codec: TokenCodec | None = None
    if encryption_keys:
        from .encryption import FernetCodec

        codec = FernetCodec(encryption_keys)
    base = scheme.split("+")[0]
    if base in _SQL_DRIVERS:
        from .sqla import SQLTokenStore

        driver = scheme if "+" in scheme else _SQL_DRIVERS[base]
        return SQLTokenStore(f"{driver}://{rest}", codec=codec)
    if base in ("redis", "rediss", "unix"):
        from .redis import RedisTokenStore

        return RedisTokenStore(url, codec=codec)
    raise ConfigurationError(
        f"OAUTH_TOKEN_STORE: no token store for {scheme!r} URLs "
        "(use sqlite://, postgresql:// or redis://)."
    )


async def close_store(store: TokenStore) -> None:
    """Close the store's connections, if it has any (``after_serving``)."""
    close = getattr(store, "close", None)
    if callable(close):
        result = close()
        if hasattr(result, "__await__"):
            await result
