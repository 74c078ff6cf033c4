"""A lease shared by several processes: the lock behind a fleet-wide single refresh.

A lease is a lock with an expiry. The worker holding it refreshes the token;
the others wait, then re-read the token the holder wrote. A worker that dies
holding a lease blocks the others only until the lease expires. Each store
says how it takes and gives back a lease (Redis ``SET NX PX``, an SQL
``UPDATE ... WHERE lease_until < now``); this module has the waiting loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, Final, Protocol, runtime_checkable

from ..errors import TokenRefreshError
from .base import FencedTokenStore, Lease, Token

__all__ = [
    "JSONCodec",
    "LeaseTimeoutError",
    "RowBoundCodec",
    "TokenCodec",
    "acquire_waiting",
    "decode_row",
    "encode_row",
    "hold_lease",
    "release_quietly",
]

log = logging.getLogger("quart_oauthlib")

#: How long a lease lasts unless a store is told otherwise. Longer than the slowest
#: refresh can take (the token request's 10 s deadline, DEFAULT_TOKEN_TIMEOUT), so that
#: it never expires while its holder still waits for the provider: another worker would
#: then spend the same (rotating) refresh token.
DEFAULT_LEASE_SECONDS: Final = 40.0
_FIRST_POLL: Final = 0.01
_MAX_POLL: Final = 0.1


class LeaseTimeoutError(TokenRefreshError):
    """Another worker held the refresh lease for longer than this one would wait.

    The token is unchanged; a later request tries again.
    """


class TokenCodec(Protocol):
    """Turns a token into the text a store keeps, and back (see :mod:`.encryption`)."""

    def encode(self, token: Mapping[str, Any]) -> str:
        """The text to store for ``token``."""
        ...

    def decode(self, data: str) -> Token:
        """The token stored as ``data``; ``ValueError`` if it cannot be read."""
        ...


class JSONCodec:
    """Tokens as plain JSON text (the default: no encryption)."""

    def encode(self, token: Mapping[str, Any]) -> str:
        """``token`` as compact JSON."""
        return json.dumps(dict(token), separators=(",", ":"))

    def decode(self, data: str) -> Token:
        """The token stored as ``data``."""
        value = json.loads(data)
        if not isinstance(value, dict):
            raise ValueError("a stored token is not a JSON object")  # noqa: TRY004 -- codec contract
        return value


@runtime_checkable
class RowBoundCodec(TokenCodec, Protocol):
    """A codec that binds what it writes to the row it is written to (see :mod:`.encryption`)."""

    def encode_for(self, token: Mapping[str, Any], provider: str, user_id: str) -> str:
        """The text to store for ``token`` in the row of ``provider`` and ``user_id``."""
        ...

    def decode_for(self, data: str, provider: str, user_id: str) -> Token:
        """The token stored as ``data`` in that row; ``ValueError`` if it is not that row's."""
        ...


def encode_row(codec: TokenCodec, token: Mapping[str, Any], provider: str, user_id: str) -> str:
    """``token`` as ``codec`` writes it into the row of ``provider`` and ``user_id``."""
    if isinstance(codec, RowBoundCodec):
        return codec.encode_for(token, provider, user_id)
    return codec.encode(token)


def decode_row(codec: TokenCodec, data: str, provider: str, user_id: str) -> Token:
    """The token ``codec`` reads from ``data`` in the row of ``provider`` and ``user_id``."""
    if isinstance(codec, RowBoundCodec):
        return codec.decode_for(data, provider, user_id)
    return codec.decode(data)


Acquire = Callable[[str, float], Awaitable[bool]]
Release = Callable[[str], Awaitable[None]]


@asynccontextmanager
async def hold_lease(
    acquire: Acquire, release: Release, *, seconds: float, wait: float
) -> AsyncIterator[None]:
    """Take a lease of ``seconds`` (waiting up to ``wait``), hold it for the block, give it back.

    Args:
        acquire: ``acquire(holder, seconds)`` takes the lease for ``holder``
            if it is free or expired, and says whether it did.
        release: ``release(holder)`` gives the lease back if ``holder`` still has it.
        seconds: The lease's life: how long a dead holder blocks the others.
        wait: How long to wait for a busy lease; more than ``seconds``, so
            that a dead holder's lease expires before a waiter gives up.

    Raises:
        LeaseTimeoutError: The lease stayed busy for ``wait`` seconds.
    """
    holder = secrets.token_hex(16)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    delay = _FIRST_POLL
    while not await acquire(holder, seconds):
        if loop.time() >= deadline:
            raise LeaseTimeoutError(
                f"Another worker held the token's refresh lease for over {wait:g}s; "
                "the token was not refreshed."
            )
        await asyncio.sleep(delay)
        delay = min(delay * 2, _MAX_POLL)
    try:
        yield
    finally:
        # Shielded: a cancelled request must not leave the lease to expire on its own.
        await asyncio.shield(release(holder))


async def acquire_waiting(store: FencedTokenStore, lease: Lease, *, wait: float) -> float:
    """Take ``lease`` in ``store``, polling while it is busy, for up to ``wait`` seconds.

    Returns the loop time at which the winning attempt was sent: the lease's
    life in the store started no earlier.

    Cancellation-safe: if an attempt fails in any way, cancellation included
    (its commit may have gone through and only the reply been lost), the
    lease is given back under the same holder before the error goes on, so
    no ghost lease is left to block the user's refreshes until it expires.

    Raises:
        LeaseTimeoutError: The lease stayed busy for ``wait`` seconds.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    delay = _FIRST_POLL
    while True:
        sent = loop.time()
        try:
            if await store.acquire_lease(lease):
                return sent
        except BaseException:
            await release_quietly(store, lease)
            raise
        if loop.time() >= deadline:
            raise LeaseTimeoutError(
                f"Another worker held the token's refresh lease for over {wait:g}s; "
                "the token was not refreshed."
            )
        await asyncio.sleep(delay)
        delay = min(delay * 2, _MAX_POLL)


async def release_quietly(store: FencedTokenStore, lease: Lease) -> None:
    """Give ``lease`` back, shielded from cancellation; a failure is logged (it expires anyway)."""
    try:
        await asyncio.shield(store.release_lease(lease))
    except Exception as exc:  # noqa: BLE001 -- the lease expires on its own; nothing else to do
        log.warning(
            "quart_oauthlib: could not give back the %r refresh lease (%s); it expires in %gs.",
            lease.provider,
            type(exc).__name__,
            lease.seconds,
        )
