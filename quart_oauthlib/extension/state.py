"""The extension's per-app state, and the per-request plumbing built on it.

``init_app`` puts one :class:`OAuthState` in ``app.extensions["quart_oauthlib"]``;
nothing about an app or a request is kept on the ``QuartOAuth`` object, so one
extension object serves any number of apps.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import logging
import secrets
import time
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, cast

import aiohttp
from quart import Quart, current_app, g, session

from ..errors import UnknownProviderError
from ..providers.settings import ProviderConfig
from ..signals import send, token_updated
from ..storage.base import Token, TokenStore, store_lock
from .flow_state import FlowStore
from .token_hooks import call_update_token

if TYPE_CHECKING:
    from .flows.oidc import Discovered

log = logging.getLogger("quart_oauthlib")

EXTENSION_KEY: Final = "quart_oauthlib"
BROWSER_ID_KEY: Final = "_oauth_uid"
#: How long a refresh done for one request is offered to concurrent ones.
_REFRESH_REUSE_SECONDS: Final = 60.0
_REFRESH_REUSE_MAX: Final = 1024
_CACHE_ATTRIBUTE: Final = "_quart_oauthlib"

SessionFactory = Callable[[], aiohttp.ClientSession]
UserIdLoader = Callable[[], "Awaitable[str | int | None] | str | int | None"]


@dataclass(eq=False, slots=True)
class RequestCache:
    """What the extension learnt during one request (kept on ``g``).

    One object resolved once per call, because every attribute read through
    Quart's ``g`` proxy costs microseconds, and the protected-request path
    would otherwise make a dozen of them.
    """

    user_id: str | None = None
    tokens: dict[str, Token | None] = field(default_factory=dict)
    sessions: dict[str, Any] = field(default_factory=dict)  # the bound sessions, by provider
    http: aiohttp.ClientSession | None = None  # only when the app was not started


def request_cache() -> RequestCache:
    """The current request's :class:`RequestCache` (made on first use)."""
    app_globals = cast(Any, g)._get_current_object()  # werkzeug LocalProxy
    cache: RequestCache | None = getattr(app_globals, _CACHE_ATTRIBUTE, None)
    if cache is None:
        cache = RequestCache()
        setattr(app_globals, _CACHE_ATTRIBUTE, cache)
    return cache


@dataclass(eq=False)
class OAuthState:
    """Everything the extension knows about one app, resolved once at ``init_app``."""

    providers: dict[str, ProviderConfig]
    store: TokenStore
    flows: FlowStore
    redirect_to: str
    session_factory: SessionFactory
    user_id_loader: Callable[[], UserIdLoader | None]
    http: aiohttp.ClientSession | None = None
    locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = field(
        default_factory=weakref.WeakValueDictionary
    )
    recent_refreshes: OrderedDict[tuple[str, str, str], tuple[float, Token]] = field(
        default_factory=OrderedDict
    )
    warned: set[str] = field(default_factory=set)
    #: Discovered OpenID providers by name (see ``_oidc_flow``), filled on first use.
    openid: dict[str, Discovered] = field(default_factory=dict)

    def provider(self, name: str) -> ProviderConfig:
        """The config of provider ``name``, or a clear error."""
        try:
            return self.providers[name]
        except KeyError:
            raise UnknownProviderError(name, list(self.providers)) from None

    # -- the shared HTTP session -----------------------------------------

    async def open(self) -> None:
        """Open the app's shared aiohttp session (``before_serving``)."""
        if self.http is None or self.http.closed:
            self.http = self.session_factory()

    async def close(self) -> None:
        """Close the app's shared aiohttp session (``after_serving``)."""
        http, self.http = self.http, None
        if http is not None:
            await http.close()

    def http_session(self) -> aiohttp.ClientSession:
        """The shared session; or, when the app was not started, one for this request.

        ``app.test_client()`` does not run ``before_serving``. Rather than leak a
        session bound to a loop that may soon be closed, a request then gets its
        own session, closed when the request ends (see :func:`end_request`).
        """
        if self.http is not None and not self.http.closed:
            return self.http
        cache = request_cache()
        http = cache.http
        if http is None:
            if "lazy-http" not in self.warned:
                self.warned.add("lazy-http")
                log.info(
                    "quart_oauthlib: the app was not started (before_serving did not run), "
                    "so each request uses its own HTTP session. Use app.test_app() in tests."
                )
            http = cache.http = self.session_factory()
        return http

    # -- users and tokens --------------------------------------------------

    async def user_id(self, *, create: bool) -> str | None:
        """Whose tokens this request uses: the user loader's answer, else this browser's id.

        Args:
            create: Make a browser id if there is none yet (only when storing).
        """
        cache = request_cache()
        if cache.user_id is not None:
            return cache.user_id
        loader = self.user_id_loader()
        user: str | None = None
        if loader is not None:
            # Called on the loop, not through ensure_async: a thread hop per request
            # would cost more than the lookup. Do I/O in an async loader.
            value = loader()
            if inspect.isawaitable(value):
                value = await value
            user = None if value is None else f"user:{value}"
        if user is None:
            browser_session = cast(Any, session)._get_current_object()
            browser = browser_session.get(BROWSER_ID_KEY)
            if browser is None and create:
                browser = secrets.token_urlsafe(18)
                browser_session[BROWSER_ID_KEY] = browser
            user = None if browser is None else f"browser:{browser}"
        cache.user_id = user
        return user

    async def load_token(self, provider: str, *, fresh: bool = False) -> Token | None:
        """The current user's token for ``provider`` (read once per request)."""
        cache = request_cache().tokens
        if provider in cache and not fresh:
            return cache[provider]
        user = await self.user_id(create=False)
        token = await self.store.get(provider, user) if user is not None else None
        cache[provider] = token
        return token

    async def save_token(self, provider: str, token: Mapping[str, Any]) -> None:
        """Store ``token`` as the current user's for ``provider``."""
        user = await self.user_id(create=True)
        assert user is not None  # noqa: S101 -- create=True always gives an id
        await self.store.set(provider, user, token)
        request_cache().tokens[provider] = dict(token)

    async def delete_token(self, provider: str) -> None:
        """Forget the current user's token for ``provider``."""
        user = await self.user_id(create=False)
        if user is not None:
            await self.store.delete(provider, user)
        request_cache().tokens[provider] = None

    # -- refresh coordination ----------------------------------------------

    @asynccontextmanager
    async def refresh_lock(self, provider: str) -> AsyncIterator[None]:
        """Serialise refreshes of one user's token: in this process, and in the store."""
        user = await self.user_id(create=False) or ""
        lock = self.locks.get((provider, user))
        if lock is None:
            lock = self.locks[(provider, user)] = asyncio.Lock()
        async with lock, store_lock(self.store, provider, user):
            yield

    async def refreshed_since(self, provider: str, old: Token) -> Token | None:
        """A token that replaced ``old`` moments ago, in another request, if any.

        With the session store, concurrent requests each hold their own copy of
        the cookie; the one that did not refresh finds the new token here
        instead of spending a (perhaps rotated, now dead) refresh token again.
        """
        user = await self.user_id(create=False) or ""
        key = (provider, user, _fingerprint(old))
        hit = self.recent_refreshes.get(key)
        if hit is None or hit[0] < time.monotonic():
            return None
        return dict(hit[1])

    async def token_refreshed(self, provider: str, old: Token, new: Token) -> None:
        """Write a refreshed token back, and offer it to concurrent requests."""
        await self.save_token(provider, new)
        user = await self.user_id(create=False) or ""
        self.recent_refreshes[(provider, user, _fingerprint(old))] = (
            time.monotonic() + _REFRESH_REUSE_SECONDS,
            dict(new),
        )
        while len(self.recent_refreshes) > _REFRESH_REUSE_MAX:
            self.recent_refreshes.popitem(last=False)
        await send(token_updated, provider=provider, user_id=user, token=new)
        await call_update_token(self.provider(provider), old, new)  # Authlib's update_token


def _fingerprint(token: Mapping[str, Any]) -> str:
    raw = str(token.get("access_token") or token.get("oauth_token") or "")
    return hashlib.sha256(raw.encode()).hexdigest()


def get_state(app: Quart | None = None) -> OAuthState:
    """The extension state of ``app`` (the current app by default)."""
    target = app if app is not None else cast(Any, current_app)._get_current_object()
    try:
        state: OAuthState = target.extensions[EXTENSION_KEY]
    except KeyError:
        raise RuntimeError(
            "QuartOAuth is not initialised on this app: "
            "call QuartOAuth(app) or oauth.init_app(app)."
        ) from None
    return state


async def end_request(exc: BaseException | None = None) -> None:
    """Forget what the request learnt, and close its own HTTP session if it made one.

    The request's context can outlive it: a cancelled aiohttp timer keeps the
    context it was made in (and so ``g``) until the loop drops it, up to the
    request timeout later. Emptying the cache now frees the user's token and
    the bound sessions at once, rather than then.
    """
    app_globals = cast(Any, g)._get_current_object()
    cache: RequestCache | None = getattr(app_globals, _CACHE_ATTRIBUTE, None)
    if cache is None:
        return
    delattr(app_globals, _CACHE_ATTRIBUTE)  # nothing else holds it: it goes with its contents
    if cache.http is not None:
        await cache.http.close()
