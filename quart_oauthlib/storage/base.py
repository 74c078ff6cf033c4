"""The token store interface: where the extension keeps each user's tokens.

A store maps ``(provider, user_id)`` to one token dict. The extension calls it
from request handlers, so every method is a coroutine; a store backed by a
database or Redis awaits its driver there and never blocks the event loop.

Refreshing a token is a read-modify-write, done by the extension's
:class:`~quart_oauthlib.extension.refresh.RefreshCoordinator`: one task per
``(provider, user_id)`` in a process and, when the store offers one, a lease
in the store across processes. A :class:`FencedTokenStore` (the memory, SQL
and Redis stores) gives the lease a handle (:class:`Lease`) and writes the
refreshed token back only if nothing was written since the lease holder read
it, so that a worker that lost its lease never overwrites a newer token. A
store with only ``get``/``set``/``delete`` (or the older ``lock()`` of
:class:`LockingTokenStore`) still gets one refresh per user in each process.

A store may also find the user by the provider's account id (:class:`UserFinder`:
the memory, SQL and Redis stores): back-channel logout names the account (its
``sub``), and the tokens to delete are the ones of the user who linked it.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "BaseTokenStore",
    "FencedTokenStore",
    "Lease",
    "LockingTokenStore",
    "Token",
    "TokenStore",
    "UserFinder",
    "default_account_id",
    "store_lock",
]

Token = dict[str, Any]


@dataclass(eq=False, slots=True)
class Lease:
    """One holder's claim on the refresh of one ``(provider, user_id)`` token.

    Attributes:
        provider: The provider's name.
        user_id: The user's id.
        seconds: The lease's life in the store.
        holder: This claim's random id, unique per acquisition; a store
            compares it to give the lease back only to its holder, and to
            resolve an acquisition whose reply was lost (acquiring again with
            the same holder succeeds).
        seen: What the store saw of the token when the holder read it
            (:meth:`FencedTokenStore.read_leased`): opaque to everyone else.
    """

    provider: str
    user_id: str
    seconds: float
    holder: str = field(default_factory=lambda: secrets.token_hex(16))
    seen: Any = None

    def __repr__(self) -> str:  # the holder is a secret of sorts: a lease of others' could be freed
        return f"<Lease {self.provider!r} {self.seconds:g}s>"


@runtime_checkable
class TokenStore(Protocol):
    """Keeps one token per ``(provider, user_id)``.

    ``user_id`` is what the app's user loader returned (for instance the id of
    Quart-Auth's ``current_user``), or an id kept in the browser session when
    there is no signed-in user. Implementations copy what they are given and
    return copies, so that a caller changing a dict never changes the store.
    """

    async def get(self, provider: str, user_id: str) -> Token | None:
        """The token stored for ``provider`` and ``user_id``, or None."""
        ...

    async def set(self, provider: str, user_id: str, token: Mapping[str, Any]) -> None:
        """Store ``token`` for ``provider`` and ``user_id``, replacing any previous one."""
        ...

    async def delete(self, provider: str, user_id: str) -> None:
        """Forget the token for ``provider`` and ``user_id`` (no error when there is none)."""
        ...


def default_account_id(token: Mapping[str, Any]) -> str | None:
    """The provider's id of the account, when the token answer carries one.

    The first of ``account_id``, ``user_id``, ``sub`` and ``id`` that is a string
    or a number. The extension adds ``sub`` (the ID token's) to an OpenID
    login's token before storing it.
    """
    for key in ("account_id", "user_id", "sub", "id"):
        value = token.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)
    return None


@runtime_checkable
class UserFinder(Protocol):
    """An optional capability of a store: find a user by their account at a provider.

    The store indexes each token by the provider's account id
    (:func:`default_account_id`, or the store's ``account_id=`` function), written
    and removed with the token. OpenID Connect back-channel logout needs it: the
    provider names the account (``sub``), and the user's token for that provider is
    then deleted with :meth:`TokenStore.delete`::

        if isinstance(store, UserFinder):
            user_id = await store.find_user(provider, claims["sub"])
            if user_id is not None:
                await store.delete(provider, user_id)

    A token written without an account id (a refresh answer rarely repeats
    ``sub``) keeps the account the user's previous token was indexed under.
    """

    async def find_user(self, provider: str, account_id: str) -> str | None:
        """The id of the user whose ``provider`` token belongs to ``account_id``, or None.

        Should several users have linked the same account, one of them: the memory
        and Redis stores name the last to link it, the SQL store the one whose
        token was written last.
        """
        ...


@runtime_checkable
class LockingTokenStore(TokenStore, Protocol):
    """A store that can also lock a token across processes while it is refreshed."""

    def lock(self, provider: str, user_id: str) -> AbstractAsyncContextManager[None]:
        """Hold this while refreshing the token of ``provider`` and ``user_id``.

        A store shared by several processes takes a lease here: a lock that
        expires, so that a worker dying while holding it blocks the others
        only until then (``RedisTokenStore``: ``SET NX PX``; ``SQLTokenStore``:
        an expiring row lease). Waiting for a busy lease is bounded too:
        past it, :class:`~quart_oauthlib.storage.LeaseTimeoutError` (a
        ``TokenRefreshError``). The extension re-reads the token after
        acquiring the lock, so a refresh done meanwhile elsewhere is reused.
        """
        ...


@runtime_checkable
class FencedTokenStore(TokenStore, Protocol):
    """A store shared by several processes, with a refresh lease and a fenced write-back.

    Attributes:
        lease_seconds: The lease's life; None turns the lease off (one process only).
        lease_wait: How long a worker waits for a busy lease before giving up.
    """

    lease_seconds: float | None
    lease_wait: float

    async def acquire_lease(self, lease: Lease) -> bool:
        """Take ``lease`` if it is free, expired, or already ``lease.holder``'s; say if it did.

        Taking it again with the same holder must succeed (and extend it): that
        is how a caller whose first attempt lost its reply finds out it won.
        """
        ...

    async def release_lease(self, lease: Lease) -> None:
        """Give the lease back if ``lease.holder`` still holds it (else do nothing)."""
        ...

    async def read_leased(self, lease: Lease) -> Token | None:
        """Read the token, and remember in ``lease.seen`` what was stored."""
        ...

    async def write_if_unchanged(self, lease: Lease, token: Mapping[str, Any] | None) -> bool:
        """Store ``token`` (or delete, for None) only if nothing was written since the read.

        The fence: one atomic compare-and-set against ``lease.seen``. False when
        another worker (whose lease this one's outlived) or a login wrote first;
        the newer token in the store then wins.
        """
        ...


class BaseTokenStore:
    """A convenient base class: ``lock`` is a no-op unless a subclass overrides it.

    Subclassing is optional; any object with the three coroutines of
    :class:`TokenStore` will do.

    Attributes:
        request_scoped: True for a store whose tokens travel with each request
            (the session cookie): every request holds its own copy, so a
            refreshed token is written into each request that waited for it.
    """

    request_scoped: bool = False

    async def get(self, provider: str, user_id: str) -> Token | None:
        """The token stored for ``provider`` and ``user_id``, or None."""
        raise NotImplementedError

    async def set(self, provider: str, user_id: str, token: Mapping[str, Any]) -> None:
        """Store ``token`` for ``provider`` and ``user_id``."""
        raise NotImplementedError

    async def delete(self, provider: str, user_id: str) -> None:
        """Forget the token for ``provider`` and ``user_id``."""
        raise NotImplementedError

    def lock(self, provider: str, user_id: str) -> AbstractAsyncContextManager[None]:
        """No cross-process lock by default: the extension's in-process lock suffices."""
        return _no_lock()


@asynccontextmanager
async def _no_lock() -> AsyncIterator[None]:
    yield


def store_lock(store: TokenStore, provider: str, user_id: str) -> AbstractAsyncContextManager[None]:
    """The store's own lock for a refresh, or a no-op when it has none."""
    if isinstance(store, LockingTokenStore):
        return store.lock(provider, user_id)
    return _no_lock()
