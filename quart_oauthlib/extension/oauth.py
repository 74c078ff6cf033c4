"""``QuartOAuth``: "Sign in with ..." and authorized API calls for a Quart app.

::

    app.config["OAUTH_PROVIDERS"] = {"github": {"client_id": "...", "client_secret": "..."}}
    oauth = QuartOAuth(app)              # or QuartOAuth(), then oauth.init_app(app)

    @app.route("/profile")
    @oauth.require("github")
    async def profile():
        resp = await oauth["github"].get("https://api.github.com/user")
        return await resp.json()

Settings are resolved from the constructor, then ``app.config``, then
:data:`DEFAULTS`, and checked once in :meth:`QuartOAuth.init_app`.
"""

from __future__ import annotations

import os
import ssl
import weakref
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, ParamSpec, TypeVar

import aiohttp
from quart import Quart, current_app, has_app_context, has_request_context
from quart.typing import ResponseReturnValue

from ..client.tls import trust_store_with
from ..errors import ConfigurationError, UnknownProviderError
from ..providers import PRESETS
from ..providers.settings import ProviderConfig, ProviderSettings, resolve_provider
from ..storage._factory import close_store, store_from_url
from ..storage.base import TokenStore
from ..storage.memory import MemoryTokenStore
from ..storage.session import SessionTokenStore
from .bound import BoundSession
from .client_registry import ClientProxy, add_provider, registered_settings
from .flow_state import FlowStore
from .http_errors import ReauthorizationRequiredError
from .provider import Provider
from .request_sessions import bound_session
from .require import handle_reauthorization, require
from .state import (
    EXTENSION_KEY,
    OAuthState,
    SessionFactory,
    UserIdLoader,
    end_request,
    get_state,
    request_cache,
)
from .templating import oauth_logout_button
from .views import make_blueprint

__all__ = ["DEFAULTS", "QuartOAuth"]

P = ParamSpec("P")
T = TypeVar("T")

#: Every ``OAUTH_`` setting and its default.
DEFAULTS: Final[Mapping[str, Any]] = {
    "OAUTH_PROVIDERS": {},
    "OAUTH_REDIRECT_TO": "/",
    "OAUTH_URL_PREFIX": "",
    "OAUTH_FLOW_TIMEOUT": 600,
    "OAUTH_MAX_FLOWS": 5,
    "OAUTH_TOKEN_STORE": "session",
    "OAUTH_TOKEN_ENCRYPTION_KEYS": None,
    "OAUTH_CA_BUNDLE": None,
    "OAUTH_HTTP_TIMEOUT": 30.0,
    "OAUTH_CALLBACK_TIMEOUT": 15.0,
}


class QuartOAuth:
    """The extension: provider registry, login blueprints, token store, bound sessions.

    Every keyword argument defaults to None, meaning "use ``app.config``".

    Args:
        app: The app to initialise now (or call :meth:`init_app` later).
        store: Where tokens are kept (``OAUTH_TOKEN_STORE``: ``"session"``,
            ``"memory"``, a :class:`~quart_oauthlib.storage.TokenStore`, or
            the URL of a shared store: ``sqlite:///path``,
            ``postgresql://...`` or ``redis://...``, its tokens encrypted
            with ``OAUTH_TOKEN_ENCRYPTION_KEYS`` when set).
        user_id_loader: Returns the signed-in user's id (sync or async), or
            None for "nobody": then tokens belong to the browser session. A
            sync loader runs on the event loop: do any I/O in an async one.
        session_factory: Makes the app's shared ``aiohttp.ClientSession``,
            called at ``before_serving``. Use it for proxies, custom
            connectors or tracing. The session serves every user: give it
            ``cookie_jar=aiohttp.DummyCookieJar()``, as the default one has,
            or a cookie an API sets on one user's call is sent with the next
            user's.
        ssl: The TLS setting of the default session factory: an
            ``ssl.SSLContext`` trusting your CA bundle, say. ``OAUTH_CA_BUNDLE``
            (a PEM path) is the config equivalent.
        presets: Extra or replacement presets, by name.
    """

    def __init__(
        self,
        app: Quart | None = None,
        *,
        store: TokenStore | None = None,
        user_id_loader: UserIdLoader | None = None,
        session_factory: SessionFactory | None = None,
        ssl: ssl.SSLContext | None = None,
        presets: Mapping[str, ProviderSettings] | None = None,
    ):
        self._store = store
        self._user_id_loader = user_id_loader
        self._session_factory = session_factory
        self._ssl = ssl
        self._presets: dict[str, ProviderSettings] = {**PRESETS, **(presets or {})}
        self._registered: dict[str, dict[str, Any]] = {}  # by register(), Authlib style
        self._apps: weakref.WeakSet[Quart] = weakref.WeakSet()
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Quart) -> None:
        """Resolve and check the settings, and register blueprints and lifecycle hooks.

        Raises:
            ConfigurationError: A setting is wrong; the message names the provider and key.
        """
        if EXTENSION_KEY in app.extensions:
            raise ConfigurationError("QuartOAuth is already initialised on this app.")
        providers = self._resolve_providers(
            registered_settings(app, self._registered, app.config.get("OAUTH_PROVIDERS", {}))
        )
        store = self._resolve_store(app)
        _check_dpop_keys_shared(providers, store)
        state = OAuthState(
            providers={name: Provider(config) for name, config in providers.items()},
            store=store,
            flows=FlowStore(
                timeout=float(_config(app, "OAUTH_FLOW_TIMEOUT")),
                max_flows=int(_config(app, "OAUTH_MAX_FLOWS")),
            ),
            redirect_to=str(_config(app, "OAUTH_REDIRECT_TO")),
            callback_timeout=_callback_timeout(app),
            session_factory=self._resolve_session_factory(app),
            user_id_loader=lambda: self._user_id_loader,
        )
        app.extensions[EXTENSION_KEY] = state
        prefix = str(_config(app, "OAUTH_URL_PREFIX")).rstrip("/")
        for config in providers.values():
            app.register_blueprint(make_blueprint(config, prefix))
        app.before_serving(state.open)
        app.after_serving(state.close)
        if self._store is None and isinstance(_config(app, "OAUTH_TOKEN_STORE"), str):

            async def close_own_store() -> None:
                # Built here from a URL: its connections are the app's to close.
                await close_store(state.store)

            app.after_serving(close_own_store)
        app.teardown_request(end_request)
        app.register_error_handler(ReauthorizationRequiredError, handle_reauthorization)
        app.add_template_global(oauth_logout_button)
        self._apps.add(app)

    # -- providers ---------------------------------------------------------

    def __getitem__(self, name: str) -> BoundSession:
        """The current request's session for provider ``name``, bound to the user's token."""
        return bound_session(name)

    def __getattr__(self, name: str) -> BoundSession:
        """``oauth.github`` is sugar for ``oauth["github"]``, for configured providers only."""
        if has_request_context():
            # Made already by @oauth.require, or by an earlier use in this request.
            made = request_cache().sessions.get(name)
            if made is not None:
                return made  # type: ignore[no-any-return]
        state = current_app.extensions.get(EXTENSION_KEY) if has_app_context() else None
        if name.startswith("_") or state is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        if name not in state.providers:
            raise UnknownProviderError(name, list(state.providers))  # an AttributeError too
        return bound_session(name, state)

    def register(self, name: str, overwrite: bool = False, **settings: Any) -> ClientProxy:
        """Add provider ``name`` in code, as Authlib's ``oauth.register(name, **settings)``.

        The settings are those of ``OAUTH_PROVIDERS`` (Authlib's names are
        understood: ``access_token_url``, ``client_kwargs``...); keys left out
        are read from ``app.config`` as ``<NAME>_<KEY>`` (``GITHUB_CLIENT_ID``),
        and an ``OAUTH_PROVIDERS`` entry of the same name wins over both.
        Before ``init_app`` they are kept for it; after, they are checked and the
        provider's routes added to every app initialised so far.

        Returns:
            The provider's client, as :meth:`create_client`.

        A second registration of ``name`` changes nothing unless ``overwrite``.

        Raises:
            ConfigurationError: A setting is wrong.
        """
        if name in self._registered and not overwrite:
            return ClientProxy(name)  # as Authlib: the first registration stays
        self._registered[name] = dict(settings)
        for app in list(self._apps):
            add_provider(app, name, self._registered[name], self._resolve_providers)
        return ClientProxy(name)

    def create_client(self, name: str) -> ClientProxy:
        """The client of provider ``name``: ``oauth.create_client("github").get("user")``.

        It stands for the current request's ``oauth[name]`` (the user's token
        bound), so it may be made once at import time, as in Authlib.
        """
        return ClientProxy(name)

    def provider(self, name: str, app: Quart | None = None) -> ProviderConfig:
        """The checked configuration of provider ``name`` (of the current app by default)."""
        return get_state(app).provider(name).settings

    def require(
        self, *names: str
    ) -> Callable[[Callable[P, Awaitable[T]]], Callable[P, Awaitable[T | ResponseReturnValue]]]:
        """Decorator: run the view only when the user holds tokens for all ``names``.

        See :func:`quart_oauthlib.extension.require.require`.
        """
        return require(*names)

    def user_id_loader(self, func: UserIdLoader) -> UserIdLoader:
        """Decorator: set the function that names the signed-in user.

        For instance with Quart-Auth::

            @oauth.user_id_loader
            async def user_id():
                return current_user.auth_id if await current_user.is_authenticated else None
        """
        self._user_id_loader = func
        return func

    # -- resolution ----------------------------------------------------------

    def _resolve_providers(self, settings: Any) -> dict[str, ProviderConfig]:
        if not isinstance(settings, Mapping):
            raise ConfigurationError("OAUTH_PROVIDERS must be a dict of name -> settings.")
        insecure = bool(os.environ.get("OAUTHLIB_INSECURE_TRANSPORT"))
        return {
            name: resolve_provider(name, value, self._presets, insecure_transport=insecure)
            for name, value in settings.items()
        }

    def _resolve_store(self, app: Quart) -> TokenStore:
        value: Any = self._store if self._store is not None else _config(app, "OAUTH_TOKEN_STORE")
        url = isinstance(value, str) and "://" in value
        if _config(app, "OAUTH_TOKEN_ENCRYPTION_KEYS") and not url:
            # Only the stores built from a URL encrypt with them: say so rather than
            # let an app believe its tokens are encrypted when they are not.
            raise ConfigurationError(
                "OAUTH_TOKEN_ENCRYPTION_KEYS is set, but only applies when OAUTH_TOKEN_STORE "
                "is a database or Redis URL. Give your own store a FernetCodec instead; "
                "the session store cannot encrypt (the cookie is signed, not encrypted)."
            )
        if value == "session":
            return SessionTokenStore()
        if value == "memory":
            return MemoryTokenStore()
        if url:
            return store_from_url(
                value, encryption_keys=_config(app, "OAUTH_TOKEN_ENCRYPTION_KEYS")
            )
        if all(callable(getattr(value, m, None)) for m in ("get", "set", "delete")):
            store: TokenStore = value
            return store
        raise ConfigurationError(
            "OAUTH_TOKEN_STORE must be 'session', 'memory', a database or Redis URL, "
            "or a TokenStore object."
        )

    def _resolve_session_factory(self, app: Quart) -> SessionFactory:
        if self._session_factory is not None:
            return self._session_factory
        context = self._ssl
        bundle = _config(app, "OAUTH_CA_BUNDLE")
        if context is None and bundle:
            try:
                context = trust_store_with(bundle)
            except (OSError, ssl.SSLError) as exc:
                raise ConfigurationError(
                    f"OAUTH_CA_BUNDLE: cannot load CA certificates from {bundle!r} ({exc})."
                ) from exc
        timeout = aiohttp.ClientTimeout(total=float(_config(app, "OAUTH_HTTP_TIMEOUT")))

        def factory() -> aiohttp.ClientSession:
            connector = aiohttp.TCPConnector(ssl=context if context is not None else True)
            # One session serves every user: a cookie an API sets on Alice's call
            # must never ride along on Bob's, so it keeps none.
            return aiohttp.ClientSession(
                connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()
            )

        return factory


def _callback_timeout(app: Quart) -> float:
    value = _config(app, "OAUTH_CALLBACK_TIMEOUT")
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise ConfigurationError(
            f"OAUTH_CALLBACK_TIMEOUT must be a positive number of seconds, not {value!r}."
        )
    return seconds


def _shared_store(store: TokenStore) -> bool:
    """Whether ``store`` is a database or Redis one: read by several workers, then."""
    from ..storage.redis import RedisTokenStore
    from ..storage.sqla import SQLTokenStore

    return isinstance(store, SQLTokenStore | RedisTokenStore)


def _check_dpop_keys_shared(providers: Mapping[str, ProviderConfig], store: TokenStore) -> None:
    """DPoP with a shared store needs the key from the config (``dpop_key``).

    A shared store means several workers (or restarts) use the same tokens; a
    DPoP-bound token or refresh token only works with the key it was bound to, and
    a key generated at start differs in each worker. Its refresh would fail.
    """
    for config in providers.values():
        if config.dpop_key is None or config.dpop_key_configured:
            continue
        if _shared_store(store):
            raise ConfigurationError(
                f"OAUTH_PROVIDERS[{config.name!r}]: dpop is on without 'dpop_key', and the "
                "token store is shared (database or Redis): each worker would generate its "
                "own DPoP key, and tokens bound to one worker's key fail in the others (and "
                "after a restart). Set 'dpop_key' to a private JWK (ES256, EdDSA or PS256) "
                "kept with your secrets."
            )


def _config(app: Quart, key: str) -> Any:
    return app.config.get(key, DEFAULTS[key])
