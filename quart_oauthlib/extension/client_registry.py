"""Authlib's registry on ``QuartOAuth``: ``oauth.register(name, **settings)`` and ``create_client``.

Ported Authlib apps register providers in code, with their credentials in
``app.config`` as ``<NAME>_CLIENT_ID`` and ``<NAME>_CLIENT_SECRET``; the
settings are checked as ``OAUTH_PROVIDERS`` entries are (Authlib's names
translated by :mod:`quart_oauthlib.providers.foreign_names`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from quart import Quart

from ..errors import ConfigurationError
from ..providers.settings import ProviderConfig
from .bound import BoundSession
from .provider import Provider
from .request_sessions import bound_session
from .state import get_state
from .views import make_blueprint

__all__ = ["ClientProxy", "add_provider", "registered_settings"]

#: The settings Authlib reads from ``app.config`` as ``<NAME>_<KEY>``.
CONFIG_KEYS: Final = (
    "client_id",
    "client_secret",
    "request_token_url",
    "access_token_url",
    "access_token_params",
    "refresh_token_url",
    "authorize_url",
    "authorize_params",
    "api_base_url",
    "client_kwargs",
    "server_metadata_url",
)

Resolver = Callable[[Mapping[str, Any]], dict[str, ProviderConfig]]


def registered_settings(
    app: Quart, registered: Mapping[str, Mapping[str, Any]], configured: Any
) -> Any:
    """``OAUTH_PROVIDERS`` with the registered providers added (``configured`` wins)."""
    if not registered:
        return configured  # checked by the caller, whatever it is
    if not isinstance(configured, Mapping):
        raise ConfigurationError("OAUTH_PROVIDERS must be a dict of name -> settings.")
    merged: dict[str, Any] = {}
    for name, settings in registered.items():
        from_config = {
            key: app.config[f"{name.upper()}_{key.upper()}"]
            for key in CONFIG_KEYS
            if f"{name.upper()}_{key.upper()}" in app.config
        }
        entry = configured.get(name) or {}
        merged[name] = {**from_config, **settings, **entry}
    merged.update({name: value for name, value in configured.items() if name not in merged})
    return merged


def add_provider(app: Quart, name: str, registered: Mapping[str, Any], resolve: Resolver) -> None:
    """Check provider ``name`` (registered after ``init_app``) and add its routes to ``app``."""
    configured = app.config.get("OAUTH_PROVIDERS", {})
    settings = registered_settings(app, {name: registered}, configured)[name]
    config = resolve({name: settings})[name]
    state = get_state(app)
    known = name in state.providers
    # A new Provider: what was discovered with the old settings goes with the old one.
    state.providers[name] = Provider(config)
    if known:
        return  # the routes read the config at each request
    prefix = str(app.config.get("OAUTH_URL_PREFIX", "")).rstrip("/")
    app.register_blueprint(make_blueprint(config, prefix))


class ClientProxy:
    """Stands for ``oauth[name]`` of the current request (Authlib's client object).

    Attribute access goes to the request's bound session, so
    ``await client.get("user")``, ``client.authorized`` and
    ``await client.authorize_redirect()`` work inside a request.
    """

    def __init__(self, name: str):
        self.name = name

    @property
    def session(self) -> BoundSession:
        """The current request's bound session of this provider."""
        return bound_session(self.name)

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return getattr(bound_session(self.name), attribute)

    def __repr__(self) -> str:
        return f"<ClientProxy {self.name!r}>"
