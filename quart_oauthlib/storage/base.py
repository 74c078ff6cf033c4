"""The token store interface: where the extension keeps each user's tokens.

A store maps ``(provider, user_id)`` to one token dict. The extension calls it
from request handlers, so every method is a coroutine; a store backed by a
database or Redis awaits its driver there and never blocks the event loop.

Refreshing a token is a read-modify-write: the extension takes an in-process
lock per ``(provider, user_id)`` and, when the store offers one (see
:class:`LockingTokenStore`), the store's own lock too, so that a store shared
by several processes can make sure that only one of them refreshes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol, runtime_checkable

__all__ = ["BaseTokenStore", "LockingTokenStore", "Token", "TokenStore", "store_lock"]

Token = dict[str, Any]


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


class BaseTokenStore:
    """A convenient base class: ``lock`` is a no-op unless a subclass overrides it.

    Subclassing is optional; any object with the three coroutines of
    :class:`TokenStore` will do.
    """

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
