"""One configured provider of one app: its settings, its discovered metadata, its Flow.

``init_app`` builds a :class:`Provider` per entry of ``OAUTH_PROVIDERS`` and keeps
them in the app's ``OAuthState``. The views, the bound sessions, ``require`` and the
profile fetch ask it for the current config (:meth:`Provider.resolve`) and call its
:attr:`Provider.flow`; none of them re-reads settings or branches on the protocol.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

import aiohttp
from oauthlib.oauth2 import InsecureTransportError

from ..client.oidc import ProviderDiscovery, ProviderMetadata
from ..errors import DeadlineExceededError, DiscoveryError
from ..providers.settings import ProviderConfig
from ..storage.base import Token
from .flows.base import Flow, LoginContext, LoginResult, LoginStart
from .flows.oauth1 import OAuth1Flow
from .flows.oauth2 import OAuth2Flow
from .flows.oidc import OpenIDFlow
from .flows.oidc_tenant import TENANT, TenantDiscovery
from .http_errors import CallbackError, OpenIDProviderError

__all__ = ["Provider", "flow_for"]

log = logging.getLogger("quart_oauthlib")

T = TypeVar("T")


def _monotonic() -> float:
    """The metadata cache's clock (a module function, so tests can move time forward)."""
    return time.monotonic()


_OIDC_DOCUMENT: Final = "/.well-known/openid-configuration"


def flow_for(settings: ProviderConfig) -> Flow:
    """The login flow a provider's settings call for (one instance per provider)."""
    if settings.version == 1:
        return OAuth1Flow()
    if settings.server_metadata_url is not None:
        return OpenIDFlow()
    return OAuth2Flow()


class Provider:
    """One provider of one app.

    Attributes:
        name: The provider's name (its key in ``OAUTH_PROVIDERS``).
        settings: The checked settings, as configured.
        flow: How a user signs in with it.
    """

    __slots__ = (
        "_config",
        "_derived",
        "_derived_for",
        "_discovery",
        "_metadata",
        "flow",
        "name",
        "settings",
    )

    def __init__(self, settings: ProviderConfig, flow: Flow | None = None):
        self.name = settings.name
        self.settings = settings
        self.flow = flow if flow is not None else flow_for(settings)
        self._config = settings  # the settings with what discovery found filled in
        self._metadata: ProviderMetadata | None = None
        self._discovery: ProviderDiscovery | TenantDiscovery | None = None
        #: What ``derived`` made from ``_derived_for`` (a config), by maker.
        self._derived: dict[Callable[[Provider], Any], Any] = {}
        self._derived_for: ProviderConfig | None = None
        url, issuer = settings.server_metadata_url, settings.issuer
        if url is not None:
            clock = lambda: _monotonic()  # noqa: E731 -- looked up at each call
            self._discovery = (
                TenantDiscovery(url, issuer, clock=clock)
                if issuer is not None and TENANT in issuer
                else ProviderDiscovery(url, issuer=issuer, clock=clock)
            )

    def __repr__(self) -> str:
        return f"<Provider {self.name!r} {type(self.flow).__name__}>"

    @property
    def config(self) -> ProviderConfig:
        """The config as known now: the settings, with discovered endpoints once discovered.

        Never waits; use :meth:`resolve` where the discovered endpoints are needed.
        """
        return self._config

    @property
    def needs_discovery(self) -> bool:
        """Whether endpoints come from discovery and none was made yet in this process."""
        return self._discovery is not None and self._metadata is None

    def derived(self, make: Callable[[Provider], T]) -> T:
        """``make(self)``, made once for the current :attr:`config`.

        For what every request would otherwise work out again from the config
        (the bound sessions' settings): made anew when discovery changes the
        config, and never for a config that is gone. ``make`` is the key, so it
        must be one function (a module-level one), not a new closure per call.
        """
        config = self._config
        if self._derived_for is not config:
            self._derived = {}
            self._derived_for = config
        try:
            value: T = self._derived[make]
        except KeyError:
            value = self._derived[make] = make(self)
        return value

    async def resolve(self, http: aiohttp.ClientSession) -> ProviderConfig:
        """The config with the endpoints discovery found.

        The metadata is fetched on first use, once for concurrent callers, cached,
        and fetched again when it expires (``ProviderDiscovery``).

        Raises:
            OpenIDProviderError: The metadata cannot be fetched or used, or names
                another issuer than the configured one (or the URL's).
        """
        discovery = self._discovery
        if discovery is None:
            return self._config
        try:
            metadata = await discovery.load(http)
        except (DiscoveryError, DeadlineExceededError, InsecureTransportError) as exc:
            raise OpenIDProviderError(
                f"The OpenID provider {self.name!r} cannot be used: {exc} Check its "
                "server_metadata_url (and 'issuer', when the provider's differs from the "
                "URL's prefix); nothing was stored.",
                provider=self.name,
                error="discovery_failed",
            ) from exc
        if metadata is not self._metadata:
            self._config = _apply(self.settings, metadata)
            self._metadata = metadata
        return self._config

    # -- what the views and bound sessions ask ---------------------------------

    async def start_login(
        self,
        ctx: LoginContext,
        redirect_uri: str,
        next_url: str | None,
        args: Mapping[str, str],
        *,
        app_params: Mapping[str, str] | None = None,
    ) -> LoginStart:
        """Begin a login with this provider's flow (see :meth:`Flow.start_login`).

        ``app_params`` are authorization request parameters the app itself passed
        (``authorize_redirect(audience=...)``). With them, the login request's
        query is not the login link's, so the flow gets none of it; the keyword is
        passed only when there are some, so a flow that takes none need not accept it.
        """
        config = await self.resolve(ctx.http_session())
        if app_params is None:
            return await self.flow.start_login(config, ctx, redirect_uri, next_url, args)
        if not app_params:
            return await self.flow.start_login(config, ctx, redirect_uri, next_url, {})
        return await self.flow.start_login(
            config, ctx, redirect_uri, next_url, {}, app_params=app_params
        )

    async def finish_login(self, ctx: LoginContext) -> LoginResult:
        """Finish a login at the callback (see :meth:`Flow.finish_login`)."""
        config = await self.resolve(ctx.http_session())
        return await self.flow.finish_login(config, ctx)

    async def logout(
        self, ctx: LoginContext, token: Token | None, *, revoke: bool
    ) -> ProviderConfig:
        """Revoke ``token`` if asked and possible, and forget what the login kept.

        The caller then drops the token itself. Without the metadata (the provider
        is down), the user is still logged out here, without revocation at the
        discovered endpoint. Returns the config used (for the end-session URL).
        """
        config = self._config
        if revoke:
            try:
                config = await self.resolve(ctx.http_session())
            except CallbackError as exc:
                log.warning("Logging out of %r without its metadata: %s", self.name, exc.error)
        await self.flow.logout(config, ctx, token, revoke=revoke)
        return config

    def usable(self, token: Token | None) -> bool:
        """Whether the user's ``token`` can be used now, or refreshed first."""
        return token is not None and bool(token) and self.flow.usable(self._config, token)


def _apply(config: ProviderConfig, metadata: ProviderMetadata) -> ProviderConfig:
    """Fill what the configuration leaves out from the metadata (configuration wins)."""
    where = f"The OpenID provider {config.name!r}"
    authorize_url = config.authorize_url or metadata.authorization_endpoint
    token_url = config.token_url or metadata.token_endpoint
    if not authorize_url or not token_url:
        raise OpenIDProviderError(
            f"{where} advertises no authorization_endpoint or token_endpoint; configure "
            "authorize_url and token_url.",
            provider=config.name,
            error="discovery_failed",
        )
    openid = metadata.jwks_uri is not None and (
        "openid" in metadata.scopes_supported
        or (config.server_metadata_url or "").endswith(_OIDC_DOCUMENT)
        or "openid" in (config.scope or ())  # asked for: its ID token must be checked
    )
    scope = config.scope
    if openid and "openid" not in (scope or ()):
        scope = ("openid", *(scope or ()))
    return dataclasses.replace(
        config,
        authorize_url=authorize_url,
        token_url=token_url,
        refresh_url=config.refresh_url or token_url,
        revoke_url=config.revoke_url or metadata.revocation_endpoint,
        userinfo_url=config.userinfo_url or metadata.userinfo_endpoint,
        end_session_url=config.end_session_url or metadata.end_session_endpoint,
        scope=scope,
        metadata=metadata,
        openid=openid,
    )
