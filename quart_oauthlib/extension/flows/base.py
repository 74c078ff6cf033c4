"""The login Flow protocol: start a login, finish it at the callback, log out.

OAuth 1 (:class:`~.oauth1.OAuth1Flow`), OAuth 2 (:class:`~.oauth2.OAuth2Flow`) and
OpenID Connect (:class:`~.oidc.OpenIDFlow`) implement it; each configured provider
holds one (see ``extension/provider.py``), and the views only ever call it. A new
kind of login (pushed authorization requests, DPoP-bound tokens...) is a new
subclass, chosen in ``Provider.flow_for``, never a new branch in the views.

A flow gets the provider's current config (discovered endpoints filled in) on each
call, and what it needs of the app as a :class:`LoginContext` (the app's
``OAuthState`` is one), so it imports neither the state nor the provider.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

import aiohttp

from ...providers.settings import ProviderConfig
from ...storage.base import Token
from ..flow_state import FlowRecord, FlowStore

__all__ = ["Flow", "Identity", "LoginContext", "LoginResult", "LoginStart"]


class LoginContext(Protocol):
    """What a flow needs of the app: pending logins, HTTP, the user and their tokens."""

    @property
    def flows(self) -> FlowStore:
        """The pending logins (state, PKCE verifier, nonce), until their callback."""

    def http_session(self) -> aiohttp.ClientSession:
        """The app's shared HTTP session."""

    async def user_id(self, *, create: bool) -> str | None:
        """Whose tokens this request uses."""

    async def save_token(self, provider: str, token: Mapping[str, Any]) -> None:
        """Store ``token`` as the current user's."""


@dataclass(frozen=True)
class Identity:
    """What a verified OpenID login says about the user.

    Attributes:
        claims: The validated ID token's claims (all of them).
        userinfo: The userinfo answer (its ``sub`` checked), or None when the
            provider has no userinfo endpoint.
    """

    claims: Mapping[str, Any]
    userinfo: dict[str, Any] | None


@dataclass(frozen=True)
class LoginStart:
    """Where to send the user, and what to keep until the callback (under ``key``)."""

    url: str
    key: str
    record: FlowRecord


@dataclass(frozen=True)
class LoginResult:
    """A finished login.

    Attributes:
        received: The token as the provider sent it (for ``oauth_authorized``).
        token: The token to store (a raw ID token is never stored).
        record: The pending login's record (``next_url``...).
        identity: The verified identity, for OpenID logins.
    """

    # Tokens: left out of the repr (error reporters capture locals).
    received: Token = field(repr=False)
    token: Token = field(repr=False)
    record: FlowRecord
    identity: Identity | None = None
    #: Extra keyword arguments for the ``oauth_authorized`` signal.
    signal_extra: Mapping[str, Any] = field(default_factory=dict, repr=False)


class Flow(ABC):
    """One kind of login. One instance per provider, so it may cache (keys, say).

    Attributes:
        protocol: Which client the user's token is used with afterwards
            (``"oauth1"``: signed requests; ``"oauth2"``: bearer tokens).
    """

    protocol: ClassVar[Literal["oauth1", "oauth2"]]

    @abstractmethod
    async def start_login(
        self,
        config: ProviderConfig,
        ctx: LoginContext,
        redirect_uri: str,
        next_url: str | None,
        args: Mapping[str, str],
        *,
        app_params: Mapping[str, str] | None = None,
    ) -> LoginStart:
        """Begin a login: the redirect to the provider and the record to keep.

        ``args`` is the login request's query; a flow takes what it allows from it
        (OAuth 2: ``prompt``, ``max_age``, ``login_hint``...). ``app_params`` are
        parameters the app itself chose (``authorize_redirect(audience=...)``),
        used instead of ``args``; the keyword is only passed when there are some.

        Raises:
            CallbackError: The login cannot start (a bad parameter, the provider down).
        """

    @abstractmethod
    async def finish_login(self, config: ProviderConfig, ctx: LoginContext) -> LoginResult:
        """Check the callback request and get the token (and identity).

        Raises:
            CallbackError: Anything wrong; nothing was stored.
        """

    async def save_login(self, ctx: LoginContext, result: LoginResult) -> None:
        """Store what a finished login keeps: the token (and, for OpenID, a few claims)."""
        await ctx.save_token(result.record.provider, result.token)

    async def logout(
        self, config: ProviderConfig, ctx: LoginContext, token: Token | None, *, revoke: bool
    ) -> None:
        """Before the user's token is dropped: revoke it if asked and possible.

        Also forget what else the login kept. Failures to revoke are logged, not raised.
        Nothing to do by default (OAuth 1 cannot revoke).
        """
        return None

    async def refreshed(
        self,
        config: ProviderConfig,
        http: aiohttp.ClientSession,
        token: Token,
        original: Mapping[str, Any] | None,
    ) -> tuple[Token, Mapping[str, Any] | None]:
        """Check a refreshed token; return the token to store and the claims to keep.

        Runs inside the refresh coordinator's grant, before the token is written.
        ``original`` holds the claims kept from the login. The claims returned
        replace them (None: keep them). By default the token is stored as it came,
        less any ID token: not an OpenID login, so there is nothing to check it against.

        Raises:
            TokenRefreshError: The refreshed token is unacceptable: the refresh
                fails, and the stored token is kept.
        """
        return {key: value for key, value in token.items() if key != "id_token"}, None

    async def validate_logout_token(
        self,
        config: ProviderConfig,
        http: aiohttp.ClientSession,
        raw: str,
        is_new_jti: Callable[[str, float], bool | Awaitable[bool]],
    ) -> Mapping[str, Any] | None:
        """A back-channel logout token's claims, validated; None when the flow has none.

        Raises:
            LogoutTokenError: The token fails a check.
            JWKSError: The provider's keys cannot be fetched.
        """
        return None

    def end_session_url(self, config: ProviderConfig, target: str) -> str | None:
        """Where to send the user to log out at the provider too, or None."""
        return None

    @abstractmethod
    def usable(self, config: ProviderConfig, token: Token) -> bool:
        """Whether ``token`` can be used now (or refreshed first), per ``@require``."""
