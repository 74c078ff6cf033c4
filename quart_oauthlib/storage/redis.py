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

Account index (:class:`~quart_oauthlib.storage.UserFinder`):
``<prefix>:account:<provider>:<account_id>`` holds the user id, and
``<prefix>:account-of:<provider>:<user_id>`` the name of that index key, so
that a delete (or a new account) removes it. Both are written, with the
token's TTL, by the same script as the token (``EVAL``, atomic), and removed
with it. The script reaches the previous index key by name from the second
key, which a single Redis server allows (Redis Cluster would need the keys in
one hash slot).

Needs the ``redis`` extra.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
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
from .base import BaseTokenStore, Lease, Token, _no_lock, default_account_id

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
#: Every token write and delete, with its account index, in one step.
#: KEYS[1] the token, KEYS[2] the user's account-of key. ARGV[1] '1' to write only if
#: the token is still ARGV[2] (the fenced write-back), else '0'; ARGV[3] the new value,
#: '' to delete; ARGV[4] the TTL in ms, or 0; ARGV[5] the user id; ARGV[6] the account
#: index key of the new token, or '' when it names no account (the previous one holds).
_WRITE: Final = """
if ARGV[1] == '1' and redis.call('get', KEYS[1]) ~= ARGV[2] then return 0 end
local old = redis.call('get', KEYS[2])
local function unindex()
  if old and redis.call('get', old) == ARGV[5] then redis.call('del', old) end
end
if ARGV[3] == '' then
  unindex()
  redis.call('del', KEYS[1], KEYS[2])
  return 1
end
local index = old
if ARGV[6] ~= '' then
  if old ~= ARGV[6] then unindex() end
  index = ARGV[6]
elseif old and redis.call('get', old) ~= ARGV[5] then
  index = false  -- another user linked the account since: it is theirs now
  redis.call('del', KEYS[2])
end
local ms = tonumber(ARGV[4])
local function put(key, value)
  if ms > 0 then redis.call('set', key, value, 'PX', ms) else redis.call('set', key, value) end
end
put(KEYS[1], ARGV[3])
if index then
  put(index, ARGV[5])
  put(KEYS[2], index)
end
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
        account_id: Picks the provider's account id out of a token, for
            :meth:`find_user`.
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
        account_id: Callable[[Mapping[str, Any]], str | None] = default_account_id,
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
        self._account_id = account_id

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
        """Store ``token`` with a TTL that follows its refresh token's life, and index it."""
        await self._write(provider, user_id, token, expected=None)

    async def delete(self, provider: str, user_id: str) -> None:
        """Forget the token and its account index (no error when there is none)."""
        await self._write(provider, user_id, None, expected=None)

    async def find_user(self, provider: str, account_id: str) -> str | None:
        """The user whose ``provider`` token belongs to ``account_id``, or None."""
        data = await self.client().get(self.account_key(provider, account_id))
        if data is None:
            return None
        return data.decode() if isinstance(data, bytes) else str(data)

    def account_key(self, provider: str, account_id: str) -> str:
        """The key naming the user who linked ``account_id`` at ``provider``."""
        return f"{self.prefix}:account:{provider}:{account_id}"

    def account_of_key(self, provider: str, user_id: str) -> str:
        """The key naming the account index key of ``user_id``'s ``provider`` token."""
        return f"{self.prefix}:account-of:{provider}:{user_id}"

    async def _write(
        self,
        provider: str,
        user_id: str,
        token: Mapping[str, Any] | None,
        *,
        expected: Any,
    ) -> bool:
        """Write or delete (``token`` None) the token and its index in one script.

        With ``expected`` (the value read under a lease), only if the token is still it.
        """
        if token is None:
            value, ms, index = "", 0, ""
        else:
            ttl = self.ttl(token)
            value = encode_row(self.codec, token, provider, user_id)
            ms = 0 if ttl is None else max(1, int(ttl * 1000))
            account_id = self._account_id(token)
            index = "" if account_id is None else self.account_key(provider, account_id)
        fenced = ("1", expected) if expected is not None else ("0", "")
        keys = (self.key(provider, user_id), self.account_of_key(provider, user_id))
        args = (*fenced, value, ms, user_id, index)
        return bool(await self.client().eval(_WRITE, 2, *keys, *args))

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
        return await self._write(lease.provider, lease.user_id, token, expected=lease.seen)

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
