"""The request-bound sessions behind ``oauth["name"]`` and ``oauth.name``.

Inside a request, a provider's session is an :class:`~quart_oauthlib.OAuth2Session`
(or ``OAuth1Session``) holding the current user's stored token, made once per
request and sharing the app's one ``aiohttp.ClientSession``. The token is read
from the store on first use; an expired one is refreshed under a per-user lock
(and the store's own lock, if it has one) and written back to the store.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from oauthlib.oauth2 import TokenExpiredError
from quart import has_request_context
from yarl import URL

from ..client._transport import ResponseContext
from ..client.oauth1_session import OAuth1Session
from ..client.oauth2_auth import expires_at_of, is_expired
from ..client.oauth2_session import OAuth2Session
from ..errors import ConfigurationError, TokenNotFoundError, TokenRefreshError
from ..profile import Profile
from ..providers.settings import ProviderConfig
from ..storage.base import Token
from . import profile_fetch as _profile_flow
from .api_urls import api_url
from .authlib_compat import AuthlibMethods, with_explicit_token
from .flows import oidc as _oidc_flow
from .forgetting import forget_token
from .http_errors import ReauthorizationRequiredError, RefreshUnavailableError
from .state import OAuthState, get_state, request_cache
from .token_access import TokenGuard

__all__ = [
    "BoundOAuth1Session",
    "BoundOAuth2Session",
    "BoundSession",
    "bound_session",
    "forget_token",
    "refresh_kwargs",
]


class BoundOAuth2Session(TokenGuard, AuthlibMethods, OAuth2Session):
    """An ``OAuth2Session`` bound to the current user's stored token for one provider.

    Everything of ``OAuth2Session`` works; in addition the token is loaded
    from the store before the first request (or by ``await load_token()``),
    and a refreshed token is written back to the store.

    Attributes:
        provider: The provider's name.
    """

    def __init__(self, config: ProviderConfig, app_state: OAuthState, http: aiohttp.ClientSession):
        # Not a bound method of ours: that would make a reference cycle, and every
        # request's session would wait for the cyclic garbage collector.
        self._write_back = _WriteBack(app_state, config.name)
        super().__init__(
            config.client_id,
            auto_refresh_url=config.refresh_url,
            auto_refresh_kwargs=refresh_kwargs(config),
            scope=list(config.scope) if config.scope else None,
            token_updater=self._write_back,
            client_secret=config.client_secret,
            session=http,
        )
        self.provider = config.name
        self._app_state = app_state
        self._loaded = False
        self._api_base = config.api_base_url
        self._guarded = True  # .token/.authorized raise until the token is known
        # Not discovered yet in this process: the refresh URL comes with the metadata.
        self._discover = config.server_metadata_url is not None and config.metadata is None
        if config.compliance_fix is not None:
            config.compliance_fix(self)

    def request(self, method: str, url: str | URL, *args: Any, **kwargs: Any) -> ResponseContext:
        """As ``OAuth2Session.request``; a relative ``url`` is resolved against ``api_base_url``.

        ``token=`` (Authlib's) sends that Bearer token instead of the user's stored one.
        """
        url = api_url(self.provider, self._api_base, url)
        if "token" in kwargs:
            kwargs = with_explicit_token(self.provider, str(url), kwargs)
        return super().request(method, url, *args, **kwargs)

    async def load_token(self) -> Token | None:
        """Read the user's token from the store (once), and return it or None."""
        if self._discover:
            state = self._app_state
            config = await _oidc_flow.resolve(state, state.provider(self.provider))
            self._discover = False
            self.auto_refresh_url = self.auto_refresh_url or config.refresh_url
        if not self._loaded:
            stored = await self._app_state.load_token(self.provider)
            self._loaded = True
            if stored:
                self.token = stored
        return self.token or None

    def _token_ready(self) -> bool:
        return self._loaded and not self._discover  # else _send loads it first

    async def _send(self, *args: Any, **kwargs: Any) -> aiohttp.ClientResponse:
        await self.load_token()  # every request verb not on the fast path ends here
        return await super()._send(*args, **kwargs)

    def _adopt(self, token: Token | None) -> None:
        """Take the token this request already read from the store (see bound_session)."""
        if not self._loaded and not self._discover:
            self._loaded = True
            if token:
                self.token = token

    async def id_token_claims(self) -> dict[str, Any] | None:
        """The verified ID token claims kept from the user's login (OpenID providers).

        Only a few claims are kept (``iss``, ``sub``, ``aud``, ``exp``, ``iat``,
        ``auth_time``, ``acr``, ``email``, ``email_verified``, ``name``,
        ``preferred_username``); the ``oauth_authorized`` signal gets them all.
        None when the user has not signed in with this provider.
        """
        return await _oidc_flow.stored_claims(self._app_state, self.provider)

    async def userinfo(self) -> dict[str, Any]:
        """The user's claims from the provider's userinfo endpoint (OIDC Core §5.3).

        Its ``sub`` must be the one of the ID token of the user's login.

        Raises:
            TokenNotFoundError: The user holds no token for this provider.
            ConfigurationError: The provider has no userinfo endpoint.
            UserInfoMismatchError: The ``sub`` is another user's.
            UserInfoError: The answer is unusable.
        """
        await self.load_token()
        return await _oidc_flow.userinfo(self._app_state, self, self.provider)

    async def profile(self) -> Profile:
        """The user's id, e-mail, name and avatar, the same record for every provider.

        Raises:
            TokenNotFoundError: The user holds no token for this provider.
            UserInfoError: The userinfo answer is unusable, or holds no user id.
        """
        return await _profile_flow.fetch_profile(self._app_state, self, self.provider)

    async def ensure_active_token(
        self, *, client_id: str | None = None, client_secret: str | None = None
    ) -> None:
        """Refresh an expiring token once per user, even across concurrent requests."""
        await self.load_token()
        if not self.token or not is_expired(expires_at_of(self.token), self.refresh_margin):
            return
        await self._refresh_for_user(False, client_id, client_secret)

    async def renew_token(
        self, *, client_id: str | None = None, client_secret: str | None = None
    ) -> Token:
        """Refresh the user's token now, expired or not; the new token is stored.

        It takes the same per-user lock (and the store's lease) as an automatic
        refresh: if another request or worker refreshed the token since this request
        read it, that token is taken instead of spending the refresh token again,
        which providers rotating refresh tokens would count as a replay.

        Raises:
            TokenNotFoundError: The user holds no token for this provider.
            ConfigurationError: The provider has no token URL to refresh at.
            ReauthorizationRequiredError: The provider refused the refresh token
                (``invalid_grant``): the token is dropped and the user must sign in again.
            TokenRefreshError: There is no refresh token, or the refresh failed
                otherwise (the network, say); the stored token is kept.
        """
        token = await self.load_token()
        if not token:
            raise TokenNotFoundError(f"The current user holds no {self.provider!r} token.")
        if not self.auto_refresh_url:
            raise ConfigurationError(f"Provider {self.provider!r} has no token URL to refresh at.")
        if not token.get("refresh_token"):
            # Not a dead grant: the access token may well be valid still, so keep it.
            raise TokenRefreshError(
                f"The {self.provider!r} token of this user came without a refresh token."
            )
        await self._refresh_for_user(True, client_id, client_secret)
        return dict(self.token)

    async def _refresh_for_user(
        self, force: bool, client_id: str | None, client_secret: str | None
    ) -> None:
        try:
            await self._refresh_locked(force, client_id, client_secret)
        except ReauthorizationRequiredError:
            raise
        except TokenRefreshError as exc:  # the network, invalid_client, a lease wait...
            raise RefreshUnavailableError(
                f"The {self.provider!r} token of this user could not be refreshed now "
                f"({exc.error or type(exc).__name__}); it is kept, and a later request "
                "tries again.",
                provider=self.provider,
                error=exc.error,
            ) from exc

    async def _refresh_locked(
        self, force: bool, client_id: str | None, client_secret: str | None
    ) -> None:
        async with self._app_state.refresh_lock(self.provider):
            old = dict(self.token)
            newer = await self._app_state.refreshed_since(self.provider, old)
            if newer is None:
                was_stored = await self._app_state.load_token(self.provider)
                stored = await self._app_state.load_token(self.provider, fresh=True)
                if stored is None and was_stored is not None:
                    # Dropped meanwhile (a dead grant met by another request or worker):
                    # replaying the same refresh token would only be refused again.
                    raise ReauthorizationRequiredError(
                        f"The {self.provider!r} token of this user was dropped by a concurrent "
                        "request. The user must sign in again.",
                        provider=self.provider,
                    )
                if stored and stored.get("access_token") != old.get("access_token"):
                    newer = stored
            if newer is not None and (
                force or not is_expired(expires_at_of(newer), self.refresh_margin)
            ):
                self.token = newer  # another request refreshed it meanwhile
                await self._app_state.save_token(self.provider, newer)
                return
            self._write_back.before = old
            try:
                if force:
                    await super().renew_token(client_id=client_id, client_secret=client_secret)
                else:
                    await super().ensure_active_token(
                        client_id=client_id, client_secret=client_secret
                    )
            except TokenRefreshError as exc:
                if not exc.needs_login:
                    raise  # a network failure: the token may still be refreshed later
                await self._dead_token(f"the provider refused to refresh it ({exc.error})", exc)
            except TokenExpiredError as exc:
                await self._dead_token("it expired and cannot be refreshed", exc)

    async def forget_token(self, *, revoke: bool = True) -> None:
        """Forget the user's token for this provider, as the logout route does.

        With ``revoke`` the token is first revoked at the provider (RFC 7009) where
        it has a revocation endpoint; a failed revocation is logged, not raised.
        The kept ID token claims go too. Later requests of this session are sent
        without a token.
        """
        state = self._app_state
        config = state.provider(self.provider)
        if revoke:
            config = await _oidc_flow.resolve(state, config)  # the revocation URL may be discovered
        await forget_token(state, config, revoke=revoke)
        self.token = None
        self._loaded = True

    async def _dead_token(self, why: str, cause: Exception) -> None:
        await self._app_state.delete_token(self.provider)
        raise ReauthorizationRequiredError(
            f"The {self.provider!r} token of this user was dropped: {why}. "
            "The user must sign in again.",
            provider=self.provider,
            error=getattr(cause, "error", None),
        ) from cause


class _WriteBack:
    """The bound session's ``token_updater``: store a refreshed token for the user."""

    __slots__ = ("before", "provider", "state")

    def __init__(self, state: OAuthState, provider: str):
        self.state = state
        self.provider = provider
        self.before: Token = {}  # the token the refresh replaces

    async def __call__(self, token: Token) -> None:
        # As after a login, a raw ID token is not kept: this one (from a refresh) was not
        # even validated, and the claims kept from the login stay the ones to trust.
        kept = {key: value for key, value in token.items() if key != "id_token"}
        await self.state.token_refreshed(self.provider, self.before, kept)


class BoundOAuth1Session(TokenGuard, AuthlibMethods, OAuth1Session):
    """An ``OAuth1Session`` bound to the current user's stored token for one provider.

    The token is loaded from the store before the first request (or by
    ``await load_token()``). OAuth 1 tokens do not expire, so there is no refresh.

    Attributes:
        provider: The provider's name.
    """

    def __init__(self, config: ProviderConfig, app_state: OAuthState, http: aiohttp.ClientSession):
        super().__init__(
            config.client_id,
            config.client_secret,
            signature_method=config.signature_method,
            session=http,
        )
        self.provider = config.name
        self._app_state = app_state
        self._loaded = False
        self._api_base = config.api_base_url
        self._guarded = True  # .token/.authorized raise until the token is known

    def request(self, method: str, url: str | URL, **kwargs: Any) -> ResponseContext:
        """As ``OAuth1Session.request``; a relative ``url`` is resolved against ``api_base_url``."""
        return super().request(method, api_url(self.provider, self._api_base, url), **kwargs)

    async def load_token(self) -> dict[str, str] | None:
        """Read the user's token from the store (once), and return it or None."""
        if not self._loaded:
            stored = await self._app_state.load_token(self.provider)
            self._loaded = True
            if stored and stored.get("oauth_token"):
                self.token = {
                    key: str(stored[key])
                    for key in ("oauth_token", "oauth_token_secret")
                    if key in stored
                }
        return self.token if self.authorized else None

    async def forget_token(self) -> None:
        """Forget the user's token for this provider, as the logout route does.

        OAuth 1 has no revocation: the provider keeps the token until the user
        withdraws the app's access there. Later requests are sent unsigned by a token.
        """
        await forget_token(self._app_state, self._app_state.provider(self.provider), revoke=False)
        client = self._client.client
        client.resource_owner_key = client.resource_owner_secret = client.verifier = None
        self._loaded = True

    async def _send(self, *args: Any, **kwargs: Any) -> aiohttp.ClientResponse:
        await self.load_token()  # every request verb ends here
        return await super()._send(*args, **kwargs)

    async def profile(self) -> Profile:
        """The user's id, e-mail, name and avatar, the same record for every provider.

        Raises:
            TokenNotFoundError: The user holds no token for this provider.
            UserInfoError: The userinfo answer is unusable, or holds no user id.
        """
        return await _profile_flow.fetch_profile(self._app_state, self, self.provider)


BoundSession = BoundOAuth2Session | BoundOAuth1Session


def refresh_kwargs(config: ProviderConfig) -> dict[str, str]:
    """Extra refresh parameters: client credentials in the body unless Basic is used."""
    secret = config.current_client_secret()  # a generated one is valid for minutes: see apple.py
    if config.token_endpoint_auth_method == "client_secret_post" and secret:
        return {"client_id": config.client_id, "client_secret": secret}
    if config.token_endpoint_auth_method == "none":
        return {"client_id": config.client_id}
    return {}


def bound_session(name: str) -> BoundSession:
    """The current request's session for provider ``name``.

    Raises:
        RuntimeError: Outside a request.
        ConfigurationError: No such provider in the current app.
    """
    if not has_request_context():
        raise RuntimeError(
            f"oauth[{name!r}] is bound to the user of the current request; use it inside a "
            "request, or build an OAuth2Session with the token yourself elsewhere."
        )
    state = get_state()
    config = _oidc_flow.cached_config(state, state.provider(name))
    cache = request_cache()
    bound: BoundSession | None = cache.sessions.get(name)
    if bound is None:
        kind = BoundOAuth1Session if config.version == 1 else BoundOAuth2Session
        bound = cache.sessions[name] = kind(config, state, state.http_session())
        if isinstance(bound, BoundOAuth2Session) and name in cache.tokens:
            bound._adopt(cache.tokens[name])  # read by @oauth.require: no need to wait for it
    return bound
