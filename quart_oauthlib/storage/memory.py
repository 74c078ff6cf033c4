"""``MemoryTokenStore``: tokens in a dict of this process (tests, single-process demos)."""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Callable, Mapping
from typing import Any

from .base import BaseTokenStore, Lease, Token, default_account_id

__all__ = ["MemoryTokenStore"]


class MemoryTokenStore(BaseTokenStore):
    """Keeps tokens in memory, keyed by ``(provider, user_id)``.

    Everything is lost when the process ends, and several worker processes
    do not share it: use it for tests and demos. Its ``repr`` shows how many
    tokens it holds, never the tokens. It has the lease and the fenced
    write-back of the shared stores, kept in this process, and finds a user by
    their account at a provider (:class:`~quart_oauthlib.storage.UserFinder`).

    Args:
        tokens: Tokens to start with, as ``{(provider, user_id): token}``.
        lease_seconds: The refresh lease's life; None disables the lease.
        lease_wait: How long to wait for a busy lease (default: lease + 5 s).
        account_id: Picks the provider's account id out of a token.
    """

    def __init__(
        self,
        tokens: Mapping[tuple[str, str], Mapping[str, Any]] | None = None,
        *,
        lease_seconds: float | None = 40.0,
        lease_wait: float | None = None,
        account_id: Callable[[Mapping[str, Any]], str | None] = default_account_id,
    ):
        self._tokens: dict[tuple[str, str], Token] = {}
        # (provider, account id) -> user id, and back: written and removed with the token.
        self._users: dict[tuple[str, str], str] = {}
        self._accounts: dict[tuple[str, str], str] = {}
        self._account_id = account_id
        # Every write gets a new version: the fenced write-back compares them.
        self._counter = itertools.count(1)
        self._versions: dict[tuple[str, str], int] = {}
        self._leases: dict[tuple[str, str], tuple[str, float]] = {}
        self.lease_seconds = lease_seconds
        self.lease_wait = lease_wait if lease_wait is not None else (lease_seconds or 0) + 5
        for (provider, user_id), value in (tokens or {}).items():
            self._put(provider, user_id, value)

    async def get(self, provider: str, user_id: str) -> Token | None:
        """The token stored for ``provider`` and ``user_id``, or None."""
        return self.get_now(provider, user_id)

    def get_now(self, provider: str, user_id: str) -> Token | None:
        """As :meth:`get`, without awaiting (used by ``oauth.<name>.token``)."""
        token = self._tokens.get((provider, user_id))
        return _copied(token) if token is not None else None

    async def set(self, provider: str, user_id: str, token: Mapping[str, Any]) -> None:
        """Store a copy of ``token``, indexed by its account id."""
        self._put(provider, user_id, token)
        self._versions[(provider, user_id)] = next(self._counter)

    async def delete(self, provider: str, user_id: str) -> None:
        """Forget the token, if any, and its account index."""
        self._tokens.pop((provider, user_id), None)
        self._unindex(provider, user_id)
        self._versions[(provider, user_id)] = next(self._counter)

    async def find_user(self, provider: str, account_id: str) -> str | None:
        """The user whose ``provider`` token belongs to ``account_id``, or None."""
        return self._users.get((provider, account_id))

    def _put(self, provider: str, user_id: str, token: Mapping[str, Any]) -> None:
        self._tokens[(provider, user_id)] = _copied(token)
        account_id = self._account_id(token)
        if account_id is None:
            return  # no account id in this token: the previous one still holds
        self._unindex(provider, user_id)
        self._users[(provider, account_id)] = user_id
        self._accounts[(provider, user_id)] = account_id

    def _unindex(self, provider: str, user_id: str) -> None:
        account_id = self._accounts.pop((provider, user_id), None)
        if account_id is not None and self._users.get((provider, account_id)) == user_id:
            del self._users[(provider, account_id)]

    # -- FencedTokenStore ------------------------------------------------------

    async def acquire_lease(self, lease: Lease) -> bool:
        """Take the lease if it is free, expired or already this holder's."""
        key = (lease.provider, lease.user_id)
        now = time.monotonic()
        current = self._leases.get(key)
        if current is not None and current[0] != lease.holder and current[1] > now:
            return False
        self._leases[key] = (lease.holder, now + lease.seconds)
        return True

    async def release_lease(self, lease: Lease) -> None:
        """Give the lease back if this holder has it."""
        key = (lease.provider, lease.user_id)
        current = self._leases.get(key)
        if current is not None and current[0] == lease.holder:
            del self._leases[key]

    async def read_leased(self, lease: Lease) -> Token | None:
        """The token; its version goes to ``lease.seen``."""
        lease.seen = self._versions.get((lease.provider, lease.user_id), 0)
        return await self.get(lease.provider, lease.user_id)

    async def write_if_unchanged(self, lease: Lease, token: Mapping[str, Any] | None) -> bool:
        """Write (or delete) only if the version is still the one read under the lease."""
        if self._versions.get((lease.provider, lease.user_id), 0) != lease.seen:
            return False
        if token is None:
            await self.delete(lease.provider, lease.user_id)
        else:
            await self.set(lease.provider, lease.user_id, token)
        return True

    def __len__(self) -> int:
        return len(self._tokens)

    def __repr__(self) -> str:
        return f"<MemoryTokenStore with {len(self._tokens)} token(s)>"


#: Values a token shares with its copies: they never change in place.
_IMMUTABLE_TYPES = frozenset({str, int, float, bool, type(None)})


def _copied(token: Mapping[str, Any]) -> Token:
    """A copy of ``token`` sharing nothing mutable with it.

    Tokens are JSON, and usually flat: a plain copy then shares nothing mutable,
    for a fraction of ``copy.deepcopy`` (every protected request reads one).
    """
    for value in token.values():
        if value.__class__ not in _IMMUTABLE_TYPES:
            return copy.deepcopy(dict(token))
    return dict(token)
