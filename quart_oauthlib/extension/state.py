"""The extension's per-app state, and the per-request plumbing built on it.

``init_app`` puts one :class:`OAuthState` in ``app.extensions["quart_oauthlib"]``;
nothing about an app or a request is kept on the ``QuartOAuth`` object, so one
extension object serves any number of apps.
"""

from __future__ import annotations

import inspect
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import aiohttp
from quart import Quart, current_app, g, session

from ..errors import UnknownProviderError
from ..storage.base import Token, TokenStore
from ..storage.memory import MemoryTokenStore
from ..storage.session import SessionTokenStore
from .flow_state import FlowStore
from .flows.oidc_claims import CLAIMS_KEY
from .provider import Provider
from .refresh import RefreshCoordinator
from .seen_jtis import SeenJtis

log = logging.getLogger("quart_oauthlib")

EXTENSION_KEY: Final = "quart_oauthlib"
BROWSER_ID_KEY: Final = "_oauth_uid"
_CACHE_ATTRIBUTE: Final = "_quart_oauthlib"
#: How long ``after_serving`` waits for refreshes in flight.
SHUTDOWN_GRACE_SECONDS: Final = 10.0

#: Quart's proxies (werkzeug ``LocalProxy``), typed to reach ``_get_current_object``:
#: the hot path resolves each once per call, and ``typing.cast`` is a call too.
_g: Any = g
_session: Any = session
_current_app: Any = current_app

#: The ``get`` of stores whose reads need no I/O (a subclass overriding ``get`` may do some).
_IN_MEMORY_GETS = (SessionTokenStore.get, MemoryTokenStore.get)

#: What a sync user loader returns, told apart from an awaitable without inspect's checks.
_PLAIN_IDS = frozenset({str, int, type(None)})

SessionFactory = Callable[[], aiohttp.ClientSession]
TokenReader = Callable[[str, str], "Token | None"]


def immediate_reader(store: TokenStore) -> TokenReader | None:
    """The store's read that needs no awaiting (the cookie, memory), or None."""
    if getattr(type(store), "get", None) not in _IN_MEMORY_GETS:
        return None
    if isinstance(store, SessionTokenStore | MemoryTokenStore):
        return store.get_now
    return None


UserIdLoader = Callable[[], "Awaitable[str | int | None] | str | int | None"]


class RequestCache:
    """What the extension learnt during one request (kept on ``g``).

    One object resolved once per call, because every attribute read through
    Quart's ``g`` proxy costs microseconds, and the protected-request path
    would otherwise make a dozen of them.
    """

    __slots__ = ("http", "sessions", "tokens", "user_id")

    def __init__(self) -> None:
        self.user_id: str | None = None
        self.tokens: dict[str, Token | None] = {}
        self.sessions: dict[str, Any] = {}  # the bound sessions, by provider
        self.http: aiohttp.ClientSession | None = None  # only when the app was not started

    def __repr__(self) -> str:
        # Error reporters capture the locals (and ``g``) of a failed request: the
        # tokens held here must not end up in their reports, nor the user's id.
        held = sorted(name for name, token in self.tokens.items() if token)
        return f"<RequestCache tokens held for {held}>"


def request_cache() -> RequestCache:
    """The current request's :class:`RequestCache` (made on first use)."""
    app_globals = _g._get_current_object()
    cache: RequestCache | None = getattr(app_globals, _CACHE_ATTRIBUTE, None)
    if cache is None:
        cache = RequestCache()
        setattr(app_globals, _CACHE_ATTRIBUTE, cache)
    return cache


@dataclass(eq=False)
class OAuthState:
    """Everything the extension knows about one app, resolved once at ``init_app``."""

    providers: dict[str, Provider]
    store: TokenStore
    flows: FlowStore
    redirect_to: str
    session_factory: SessionFactory
    user_id_loader: Callable[[], UserIdLoader | None]
    #: Seconds a login's whole callback (discovery, token, keys, userinfo) may take.
    callback_timeout: float = 15.0
    http: aiohttp.ClientSession | None = None
    #: The one place that refreshes the users' stored tokens (see ``refresh``).
    refresher: RefreshCoordinator = field(init=False)
    warned: set[str] = field(default_factory=set)
    #: Back-channel logout tokens already used (when the store cannot keep them).
    seen_logout_jtis: SeenJtis = field(default_factory=SeenJtis)

    #: The store's read that needs no awaiting, or None (see :meth:`token_now`).
    read_now: TokenReader | None = field(init=False)

    def __post_init__(self) -> None:
        self.refresher = RefreshCoordinator(self.store)
        self.read_now = immediate_reader(self.store)

    def __repr__(self) -> str:
        return f"<OAuthState providers={sorted(self.providers)} store={self.store!r}>"

    def provider(self, name: str) -> Provider:
        """Provider ``name`` (settings, metadata, flow), or a clear error."""
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
        """Close the app's shared aiohttp session (``after_serving``).

        Refreshes still running (perhaps for requests that hung up) finish first,
        for a while: one cut short may have spent a rotating refresh token already.
        """
        await self.refresher.wait_idle(SHUTDOWN_GRACE_SECONDS)
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
        return await self._user_id(request_cache(), create)

    async def _user_id(self, cache: RequestCache, create: bool) -> str | None:
        """:meth:`user_id`, with the request's cache already at hand."""
        if cache.user_id is not None:
            return cache.user_id
        loader = self.user_id_loader()
        user: str | None = None
        if loader is not None:
            # Called on the loop, not through ensure_async: a thread hop per request
            # would cost more than the lookup. Do I/O in an async loader.
            value = loader()
            if value.__class__ not in _PLAIN_IDS and inspect.isawaitable(value):
                value = await value
            user = None if value is None else f"user:{value}"
        if user is None:
            browser_session = _session._get_current_object()
            browser = browser_session.get(BROWSER_ID_KEY)
            if browser is None and create:
                browser = secrets.token_urlsafe(18)
                browser_session[BROWSER_ID_KEY] = browser
            user = None if browser is None else f"browser:{browser}"
        cache.user_id = user
        return user

    async def new_browser_id(self, *, drop: str) -> None:
        """Give this browser a new id, at a login and at a logout (session fixation).

        Only where the browser id names the user (no ``user_id_loader``, or it
        answered None): an attacker who planted their own id in the victim's
        browser (cookie tossing from a sibling subdomain) must not find the
        victim's tokens under it afterwards (OWASP ASVS V3.2.1).

        The token for provider ``drop`` held under the old id is deleted (the
        login stores its new one under the new id; the logout forgot it). The
        user's tokens for the other providers move to the new id with the user,
        as do the ID token claims kept for them: signing in with a second
        provider does not sign the user out of the first.
        """
        user = await self.user_id(create=False)
        if user is None or not user.startswith("browser:"):
            # No id yet (storing makes a new one), or the app's user loader names the
            # user and the browser id is not used.
            return
        browser_session = _session._get_current_object()
        new_id = secrets.token_urlsafe(18)
        browser_session[BROWSER_ID_KEY] = new_id
        new_user = f"browser:{new_id}"
        request_cache().user_id = new_user
        await self.store.delete(drop, user)
        for name in self.providers:
            if name == drop:
                continue
            token = await self.store.get(name, user)
            if token is not None:
                # Deleted first: a store keyed by provider alone (the cookie) drops
                # whichever user's entry it holds.
                await self.store.delete(name, user)
                await self.store.set(name, new_user, token)
        claims = browser_session.get(CLAIMS_KEY)
        if isinstance(claims, dict):
            browser_session[CLAIMS_KEY] = {
                name: {**entry, "u": new_user}
                if isinstance(entry, dict) and entry.get("u") == user
                else entry
                for name, entry in claims.items()
            }

    def user_id_now(self, cache: RequestCache | None = None) -> tuple[bool, str | None]:
        """Whose tokens this request uses, without awaiting: ``(known, user)``.

        Not known when the user loader is async (its coroutine is closed unstarted,
        so none of its code ran); ``user_id`` then finds the answer. Never makes
        a browser id. ``cache`` is the request's, when the caller has it already.
        """
        if cache is None:
            cache = request_cache()
        if cache.user_id is not None:
            return True, cache.user_id
        loader = self.user_id_loader()
        user: str | None = None
        if loader is not None:
            value = loader()
            if value.__class__ not in _PLAIN_IDS and inspect.isawaitable(value):
                if inspect.iscoroutine(value):
                    value.close()
                return False, None
            user = None if value is None else f"user:{value}"
        if user is None:
            browser = _session._get_current_object().get(BROWSER_ID_KEY)
            user = None if browser is None else f"browser:{browser}"
        cache.user_id = user
        return True, user

    def token_now(self, cache: RequestCache, provider: str) -> tuple[bool, Token | None]:
        """The current user's ``provider`` token without awaiting: ``(known, token)``.

        Known when this request read it already, or when the store keeps tokens in
        memory (the session cookie, ``MemoryTokenStore``) and the user is known
        without awaiting (no user loader, or a sync one). What :meth:`cached_token`
        would give, minus the coroutines, which a protected request pays for.
        """
        tokens = cache.tokens
        if provider in tokens:
            return True, tokens[provider]
        read = self.read_now
        if read is None:
            return False, None
        known, user = self.user_id_now(cache)
        if not known:
            return False, None
        token = tokens[provider] = read(provider, user) if user is not None else None
        return True, token

    async def load_token(self, provider: str, *, fresh: bool = False) -> Token | None:
        """The current user's token for ``provider`` (read once per request)."""
        return await self.cached_token(request_cache(), provider, fresh=fresh)

    async def cached_token(
        self, request: RequestCache, provider: str, *, fresh: bool = False
    ) -> Token | None:
        """:meth:`load_token`, with the request's cache already at hand.

        Each read through ``g`` costs; the protected-request path would otherwise
        make several.
        """
        cache = request.tokens
        if provider in cache and not fresh:
            return cache[provider]
        user = request.user_id
        if user is None:
            user = await self._user_id(request, False)
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

    async def forget_dropped(self, provider: str) -> None:
        """The refresh coordinator dropped the user's dead token: this request's goes too.

        A shared store already lost it (under the lease); a request-scoped one
        (the cookie) holds a copy per request, dropped here.
        """
        if getattr(self.store, "request_scoped", False):
            await self.delete_token(provider)
        request_cache().tokens[provider] = None

    async def adopt_refreshed(self, provider: str, token: Mapping[str, Any]) -> None:
        """Take a token the refresh coordinator returned as this request's.

        With a request-scoped store (the session cookie) each request holds its
        own copy, so the token goes into this request's cookie too: a request
        that waited for another's refresh must not send the old token back.
        """
        if getattr(self.store, "request_scoped", False):
            user = await self.user_id(create=True)
            assert user is not None  # noqa: S101 -- create=True always gives an id
            held = await self.store.get(provider, user)
            if held is None or held.get("access_token") != token.get("access_token"):
                await self.store.set(provider, user, token)
        request_cache().tokens[provider] = dict(token)


def get_state(app: Quart | None = None) -> OAuthState:
    """The extension state of ``app`` (the current app by default)."""
    target = app if app is not None else _current_app._get_current_object()
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
    app_globals = _g._get_current_object()
    cache: RequestCache | None = getattr(app_globals, _CACHE_ATTRIBUTE, None)
    if cache is None:
        return
    delattr(app_globals, _CACHE_ATTRIBUTE)  # nothing else holds it: it goes with its contents
    if cache.http is not None:
        await cache.http.close()
