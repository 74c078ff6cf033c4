"""``RedisTokenStore``: tokens in Redis (``redis.asyncio``), shared by every worker.

One key per ``(provider, user_id)``, ``<prefix>:token:<provider>:<user_id>``,
holds the token (JSON, or encrypted: see :mod:`.encryption`). Its TTL
follows the refresh token's life: the ``refresh_token_expires_in`` (or
``refresh_expires_in``) the provider answered, else ``refresh_token_ttl``;
a token without a refresh token lives until its access token expires.

Refresh lease: ``SET <prefix>:lease:<provider>:<user_id> <holder> NX PX
<ms>`` takes it; a compare-and-delete script gives it back only if this
worker still holds it. A worker that dies holding it blocks the others
until the key expires. The refreshed token is written back by a
check-and-set script (``EVAL``): only if the token key still holds the
value the lease holder read, so a worker whose lease ran out never
overwrites a newer token.

Needs the ``redis`` extra.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, Final

from ..errors import ConfigurationError
from ._lease import (
    DEFAULT_LEASE_SECONDS,
    JSONCodec,
    TokenCodec,
    decode_row,
    encode_row,
    hold_lease,
)
from .base import BaseTokenStore, Lease, Token, _no_lock

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RedisTokenStore"]

log = logging.getLogger("quart_oauthlib")

#: Used when the provider does not say how long its refresh tokens live.
DEFAULT_REFRESH_TOKEN_TTL: Final = 30 * 24 * 3600.0
#: Gives a lease back only to the worker holding it.
_RELEASE: Final = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""

#: Takes a lease, or extends it for the holder that already has it (a lost reply).
_ACQUIRE: Final = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('pexpire', KEYS[1], ARGV[2]); return 1
end
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
"""
#: The fenced write-back: replace (or delete, with no ARGV[2]) the token only if it is
#: still the value read under the lease (ARGV[1]); ARGV[3] is the TTL in ms, or 0.
_WRITE_IF_UNCHANGED: Final = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('del', KEYS[1]); return 1 end
if tonumber(ARGV[3]) > 0 then redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3])
else redis.call('set', KEYS[1], ARGV[2]) end
return 1
"""


class RedisTokenStore(BaseTokenStore):
    """Keeps tokens in Redis with a TTL, and leases their refreshes.

    No connection is made before the first call; :meth:`close` closes the
    client made from a URL (a later call makes a new one).

    Args:
        url: A Redis URL (``redis://127.0.0.1:6379/0``, ``rediss://...``), or
            a ``redis.asyncio.Redis`` client (not closed by :meth:`close`).
        prefix: The start of every key.
        codec: How tokens are written (JSON by default).
        refresh_token_ttl: Seconds a refresh token lives when the provider
            does not say; None keeps such tokens without a TTL.
        lease_seconds: The refresh lease's life; None disables the lease.
        lease_wait: How long to wait for a busy lease (default: lease + 5 s).
    """

    def __init__(
        self,
        url: str | Redis = "redis://127.0.0.1:6379/0",
        *,
        prefix: str = "oauth",
        codec: TokenCodec | None = None,
        refresh_token_ttl: float | None = DEFAULT_REFRESH_TOKEN_TTL,
        lease_seconds: float | None = DEFAULT_LEASE_SECONDS,
        lease_wait: float | None = None,
    ):
        try:
            import redis.asyncio  # noqa: F401 -- fail early, with the extra to install
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ConfigurationError(
                "RedisTokenStore needs redis: pip install 'quart-oauthlib[redis]'."
            ) from exc
        self._url = url if isinstance(url, str) else None
        self._client: Redis | None = None if isinstance(url, str) else url
        self.prefix = prefix
        self.codec: TokenCodec = codec or JSONCodec()
        self.refresh_token_ttl = refresh_token_ttl
        self.lease_seconds = lease_seconds
        self.lease_wait = lease_wait if lease_wait is not None else (lease_seconds or 0) + 5

    def client(self) -> Redis:
        """The Redis client, made on first use."""
        if self._client is None:
            from redis.asyncio import Redis

            self._client = Redis.from_url(self._url or "redis://127.0.0.1:6379/0")
        return self._client

    def key(self, provider: str, user_id: str) -> str:
        """The key holding the token of ``provider`` and ``user_id``."""
        return f"{self.prefix}:token:{provider}:{user_id}"

    async def get(self, provider: str, user_id: str) -> Token | None:
        """The token stored for ``provider`` and ``user_id``, or None."""
        data = await self.client().get(self.key(provider, user_id))
        if data is None:
            return None
        try:
            text = data.decode() if isinstance(data, bytes) else str(data)
            return decode_row(self.codec, text, provider, user_id)
        except ValueError as exc:
            log.warning("quart_oauthlib: unreadable stored %r token ignored: %s", provider, exc)
            return None

    async def set(self, provider: str, user_id: str, token: Mapping[str, Any]) -> None:
        """Store ``token`` with a TTL that follows its refresh token's life."""
        ttl = self.ttl(token)
        key = self.key(provider, user_id)
        if ttl is None:
            await self.client().set(key, encode_row(self.codec, token, provider, user_id))
        else:
            data = encode_row(self.codec, token, provider, user_id)
            await self.client().set(key, data, px=max(1, int(ttl * 1000)))

    async def delete(self, provider: str, user_id: str) -> None:
        """Forget the token (no error when there is none)."""
        await self.client().delete(self.key(provider, user_id))

    def lock(self, provider: str, user_id: str) -> AbstractAsyncContextManager[None]:
        """The refresh lease of ``provider`` and ``user_id`` (``SET NX PX``)."""
        if self.lease_seconds is None:
            return _no_lock()
        key = self.lease_key(provider, user_id)

        async def acquire(holder: str, seconds: float) -> bool:
            return bool(await self.client().set(key, holder, nx=True, px=int(seconds * 1000)))

        async def release(holder: str) -> None:
            await self.client().eval(_RELEASE, 1, key, holder)

        return hold_lease(acquire, release, seconds=self.lease_seconds, wait=self.lease_wait)

    # -- FencedTokenStore ------------------------------------------------------

    def lease_key(self, provider: str, user_id: str) -> str:
        """The key of the refresh lease of ``provider`` and ``user_id``."""
        return f"{self.prefix}:lease:{provider}:{user_id}"

    async def acquire_lease(self, lease: Lease) -> bool:
        """Take the lease (``SET NX PX``), or extend it if this holder already has it."""
        key = self.lease_key(lease.provider, lease.user_id)
        ms = max(1, int(lease.seconds * 1000))
        return bool(await self.client().eval(_ACQUIRE, 1, key, lease.holder, ms))

    async def release_lease(self, lease: Lease) -> None:
        """Delete the lease key if this holder still has it."""
        key = self.lease_key(lease.provider, lease.user_id)
        await self.client().eval(_RELEASE, 1, key, lease.holder)

    async def read_leased(self, lease: Lease) -> Token | None:
        """The token; the stored value goes to ``lease.seen`` for the fenced write."""
        data = await self.client().get(self.key(lease.provider, lease.user_id))
        lease.seen = data
        if data is None:
            return None
        try:
            text = data.decode() if isinstance(data, bytes) else str(data)
            return decode_row(self.codec, text, lease.provider, lease.user_id)
        except ValueError as exc:
            log.warning(
                "quart_oauthlib: unreadable stored %r token ignored: %s", lease.provider, exc
            )
            return None

    async def write_if_unchanged(self, lease: Lease, token: Mapping[str, Any] | None) -> bool:
        """Check-and-set (one script): write only if the value is still the one read."""
        if lease.seen is None:
            return False  # there was no token: nothing to replace
        key = self.key(lease.provider, lease.user_id)
        if token is None:
            args: tuple[Any, ...] = (lease.seen, "", 0)
        else:
            ttl = self.ttl(token)
            ms = 0 if ttl is None else max(1, int(ttl * 1000))
            args = (lease.seen, encode_row(self.codec, token, lease.provider, lease.user_id), ms)
        return bool(await self.client().eval(_WRITE_IF_UNCHANGED, 1, key, *args))

    def ttl(self, token: Mapping[str, Any]) -> float | None:
        """Seconds to keep ``token``: its refresh token's life, else its access token's."""
        if token.get("refresh_token"):
            for field in ("refresh_token_expires_in", "refresh_expires_in"):
                value = token.get(field)
                if isinstance(value, int | float) and value > 0:
                    return float(value)
            return self.refresh_token_ttl
        expires_at = token.get("expires_at")
        if isinstance(expires_at, int | float):
            return max(1.0, float(expires_at) - time.time())
        return None

    async def close(self) -> None:
        """Close the client made from a URL (a later call makes a new one)."""
        client, self._client = self._client, None
        if client is not None and self._url is not None:
            await client.aclose()
        elif client is not None:
            self._client = client

    def __repr__(self) -> str:
        return f"<RedisTokenStore prefix={self.prefix!r}>"
