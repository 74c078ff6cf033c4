"""The RefreshCoordinator: the one place that refreshes a stored user token.

For each ``(provider, user)`` one task runs the whole critical section:

1. the store's lease (:class:`~quart_oauthlib.storage.base.FencedTokenStore`),
   taken cancellation-safely: the task, not the request, takes it, and an
   attempt that fails is undone under the same holder;
2. the token read again (another request or worker may have refreshed it);
3. the refresh grant, if the token still needs one;
4. the fenced write-back: the new token is stored only if nothing was written
   since step 2; otherwise the newer token in the store wins;
5. the lease given back (in the task's ``finally``);
6. ``token_updated`` receivers, after the lease is free.

Requests await that task through :func:`asyncio.shield`: a request cancelled
mid-refresh (the browser hung up, a proxy timeout) cancels nothing, and the
next request joins the running task, or finds its result in the store. Within
one process, the task itself is the lock: a second request for the same user
joins it rather than starting another.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, NoReturn

from oauthlib.oauth2 import TokenExpiredError

from ..client.oauth2_auth import token_expired
from ..errors import TokenRefreshError
from ..storage._lease import acquire_waiting, release_quietly
from ..storage.base import FencedTokenStore, Lease, Token, TokenStore, store_lock
from .http_errors import ReauthorizationRequiredError

__all__ = ["Grant", "RefreshCoordinator"]

log = logging.getLogger("quart_oauthlib")

#: Refreshes the given (stored) token at the provider and returns the new one.
Grant = Callable[[Token], Awaitable[Token]]
#: Told about a newly refreshed token, after the lease is released (``token_updated``).
Notify = Callable[[Token], Awaitable[Any]]

#: The critical section's share of the lease's life: it is abandoned before the
#: lease can run out under it (the token request's own deadline is 30 s of 40).
DEADLINE_SHARE: Final = 0.8
#: How long a refresh is remembered for a request still holding the token it replaced.
REUSE_SECONDS: Final = 60.0
_REUSE_MAX: Final = 1024

_Key = tuple[str, str]


class RefreshCoordinator:
    """Runs at most one refresh per ``(provider, user)`` at a time, safe from cancellation.

    One per app (``OAuthState.refresher``), over the app's token store.

    Args:
        store: The token store.
        deadline: Seconds the critical section (read, grant, write-back) may
            take; by default 80 % of the store's lease, and none without a lease.
    """

    def __init__(self, store: TokenStore, *, deadline: float | None = None):
        self.store = store
        self._deadline = deadline
        self._flights: dict[_Key, asyncio.Task[Token]] = {}
        # For the request-scoped (cookie) store: a request that still sends the token
        # a moment-ago refresh replaced gets the new one, not a second grant.
        self._recent: OrderedDict[tuple[str, str, str], tuple[float, Token]] = OrderedDict()

    def __repr__(self) -> str:
        # The recent refreshes hold tokens (old and new): only counts are shown.
        return (
            f"<RefreshCoordinator {len(self._flights)} in flight, "
            f"{len(self._recent)} recent refresh(es)>"
        )

    def in_flight(self, provider: str, user_id: str) -> bool:
        """Whether a refresh of this user's token is running in this process."""
        return (provider, user_id) in self._flights

    async def refresh(
        self,
        provider: str,
        user_id: str,
        seen: Mapping[str, Any],
        grant: Grant,
        *,
        force: bool = False,
        margin: float = 0.0,
        notify: Notify | None = None,
    ) -> Token:
        """The user's refreshed (or meanwhile refreshed) token.

        Joins the running refresh of this user's token, or starts one. Cancelling
        the caller leaves the refresh running to its end.

        Args:
            provider: The provider's name.
            user_id: The user's id in the store.
            seen: The token the caller holds (and found expired, or wants renewed).
            grant: Refreshes a token at the provider (called at most once, in the task).
            force: Refresh even a token that is not expired (``renew_token``);
                a token another request stored since ``seen`` is taken instead.
            margin: Seconds before expiry a token counts as expired.
            notify: Called with a newly refreshed token once the lease is released.

        Raises:
            ReauthorizationRequiredError: The provider refused the refresh token, or
                the token was dropped meanwhile: the user must sign in again.
            TokenRefreshError: Anything else (the network, a busy lease, the
                deadline); the stored token is kept.
        """
        key = (provider, user_id)
        task = self._flights.get(key)
        if task is None:
            run = self._run(provider, user_id, dict(seen), grant, force, margin, notify)
            task = asyncio.get_running_loop().create_task(run)
            self._flights[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        try:
            return dict(await asyncio.shield(task))
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if task.cancelled() and (current is None or not current.cancelling()):
                # The refresh itself was cancelled (the loop is closing), not this caller.
                raise TokenRefreshError("The token refresh was interrupted.") from None
            raise

    async def wait_idle(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for the refreshes in flight to end (at shutdown)."""
        flights = list(self._flights.values())
        if flights:
            await asyncio.wait(flights, timeout=timeout)

    def _finished(self, key: _Key, task: asyncio.Task[Token]) -> None:
        if self._flights.get(key) is task:
            del self._flights[key]
        if not task.cancelled():
            task.exception()  # retrieved, even if every waiter went away

    # -- the critical section ----------------------------------------------

    async def _run(
        self,
        provider: str,
        user_id: str,
        seen: Token,
        grant: Grant,
        force: bool,
        margin: float,
        notify: Notify | None,
    ) -> Token:
        store = self.store
        lease_seconds = getattr(store, "lease_seconds", None)
        if isinstance(store, FencedTokenStore) and lease_seconds:
            lease = Lease(provider, user_id, float(lease_seconds))
            budget = (
                self._deadline if self._deadline is not None else lease.seconds * DEADLINE_SHARE
            )
            try:
                start = await acquire_waiting(store, lease, wait=store.lease_wait)
            except TokenRefreshError:
                raise
            except Exception as exc:  # the store is down: the token is kept, try later
                raise TokenRefreshError(
                    f"The token store could not lease the refresh ({type(exc).__name__})."
                ) from exc
            try:
                token, refreshed = await self._within(
                    start + budget,
                    self._section(provider, user_id, seen, grant, force, margin, lease),
                )
            finally:
                await release_quietly(store, lease)
        else:
            # A store without a fenced lease: this task is the lock in this process,
            # and the store's own lock (the older LockingTokenStore API) across them.
            async with store_lock(store, provider, user_id):
                token, refreshed = await self._section(
                    provider, user_id, seen, grant, force, margin, None
                )
        if refreshed and notify is not None:
            await notify(dict(token))  # after the lease: a slow receiver holds up nobody
        return token

    async def _within(self, when: float, work: Awaitable[tuple[Token, bool]]) -> tuple[Token, bool]:
        try:
            async with asyncio.timeout_at(when):
                return await work
        except TimeoutError:
            raise TokenRefreshError(
                "The token refresh took longer than its lease allows; the token is kept."
            ) from None

    async def _section(
        self,
        provider: str,
        user_id: str,
        seen: Token,
        grant: Grant,
        force: bool,
        margin: float,
        lease: Lease | None,
    ) -> tuple[Token, bool]:
        """Re-read, refresh if still needed, write back: (the token, whether it is new)."""
        stored = await self._read(provider, user_id, lease)
        if stored is None:
            # Dropped meanwhile (a dead grant met by another request or worker, a
            # logout): replaying the refresh token would only be refused again.
            raise ReauthorizationRequiredError(
                f"The {provider!r} token of this user was dropped by a concurrent request. "
                "The user must sign in again.",
                provider=provider,
            )
        successor = self._successor(provider, user_id, stored)
        if successor is not None:
            # This request's cookie still holds a token refreshed a moment ago.
            await self._write(provider, user_id, lease, successor)
            return successor, False
        if _fingerprint(stored) != _fingerprint(seen) and (
            force or not token_expired(stored, margin)
        ):
            return stored, False  # another request or worker refreshed it meanwhile
        if not force and not token_expired(stored, margin):
            return stored, False
        try:
            new = await grant(stored)
        except TokenRefreshError as exc:
            if not exc.needs_login:
                raise  # a network failure: the token may still be refreshed later
            await self._drop(
                provider, user_id, lease, f"the provider refused it ({exc.error})", exc
            )
        except TokenExpiredError as exc:
            await self._drop(provider, user_id, lease, "it expired and cannot be refreshed", exc)
        if not await self._write(provider, user_id, lease, new):
            # Fenced out: another worker (whose lease outlived ours) or a login wrote
            # first. That token is newer than ours: it wins.
            newer = await self.store.get(provider, user_id)
            log.warning(
                "quart_oauthlib: a refreshed %r token was not stored: a newer one was.", provider
            )
            if newer is None:
                raise ReauthorizationRequiredError(
                    f"The {provider!r} token of this user was dropped by a concurrent request. "
                    "The user must sign in again.",
                    provider=provider,
                )
            return newer, False
        self._remember(provider, user_id, stored, new)
        return new, True

    async def _read(self, provider: str, user_id: str, lease: Lease | None) -> Token | None:
        if lease is not None:
            assert isinstance(self.store, FencedTokenStore)  # noqa: S101 -- lease implies it
            return await self.store.read_leased(lease)
        return await self.store.get(provider, user_id)

    async def _write(
        self, provider: str, user_id: str, lease: Lease | None, token: Token | None
    ) -> bool:
        if lease is not None:
            assert isinstance(self.store, FencedTokenStore)  # noqa: S101 -- lease implies it
            return await self.store.write_if_unchanged(lease, token)
        if token is None:
            await self.store.delete(provider, user_id)
        else:
            await self.store.set(provider, user_id, token)
        return True

    async def _drop(
        self, provider: str, user_id: str, lease: Lease | None, why: str, cause: Exception
    ) -> NoReturn:
        # Fenced too: a newer token written meanwhile is not the dead one.
        await self._write(provider, user_id, lease, None)
        raise ReauthorizationRequiredError(
            f"The {provider!r} token of this user was dropped: {why}. The user must sign in again.",
            provider=provider,
            error=getattr(cause, "error", None),
        ) from cause

    # -- refreshes remembered for a moment ---------------------------------

    def _successor(self, provider: str, user_id: str, stored: Token) -> Token | None:
        hit = self._recent.get((provider, user_id, _fingerprint(stored)))
        if hit is None or hit[0] < time.monotonic():
            return None
        return dict(hit[1])

    def _remember(self, provider: str, user_id: str, old: Token, new: Token) -> None:
        key = (provider, user_id, _fingerprint(old))
        self._recent[key] = (time.monotonic() + REUSE_SECONDS, dict(new))
        while len(self._recent) > _REUSE_MAX:
            self._recent.popitem(last=False)


def _fingerprint(token: Mapping[str, Any]) -> str:
    raw = str(token.get("access_token") or "")
    return hashlib.sha256(raw.encode()).hexdigest()
