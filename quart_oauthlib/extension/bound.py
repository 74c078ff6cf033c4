"""The request-bound sessions behind ``oauth["name"]`` and ``oauth.name``.

Inside a request, a provider's session is an :class:`~quart_oauthlib.OAuth2Session`
(or ``OAuth1Session``) holding the current user's stored token, made once per
request (by :mod:`~quart_oauthlib.extension.request_sessions`) and sharing the
app's one ``aiohttp.ClientSession``. The token is read from the store on first
use; an expired one is refreshed by the app's
:class:`~quart_oauthlib.extension.refresh.RefreshCoordinator`, which also
writes it back to the store.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import aiohttp
from oauthlib.oauth2 import TokenExpiredError
from yarl import URL

from ..client._transport import (
    ENVIRON,
    INSECURE_TRANSPORT_KEY,
    ResponseContext,
    secure_transport,
)
from ..client.oauth1_session import OAuth1Session
from ..client.oauth2_auth import token_expired
from ..client.oauth2_session import OAuth2Session
from ..errors import ConfigurationError, TokenNotFoundError, TokenRefreshError
from ..profile import Profile
from ..providers.settings import ProviderConfig
from ..signals import send, token_updated
from ..storage.base import Token
from .api_urls import api_url
from .authlib_compat import AuthlibMethods, with_explicit_token
from .dead_token import DeadTokenRetry, replayable
from .flows.oauth2 import client_options
from .flows.oidc import userinfo as checked_userinfo
from .flows.oidc_claims import login_claims, replace_claims, stored_claims
from .forgetting import forget_token
from .http_errors import ReauthorizationRequiredError, RefreshUnavailableError
from .profile_fetch import fetch_profile
from .provider import Provider
from .state import OAuthState
from .token_access import TokenGuard
from .token_hooks import call_update_token

__all__ = [
    "BoundOAuth1Session",
    "BoundOAuth2Session",
    "BoundSession",
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

    # A session made for a request from its provider's template starts lazy: it holds
    # only what sending with the token @oauth.require read needs, and the rest is
    # copied from the template the first time anything else is touched (see
    # request_sessions._new_oauth2 and _complete). Most protected requests never get
    # that far.
    #: The template to copy the rest from while the session is lazy (or BUILT_ANEW).
    _template: BoundOAuth2Session | object | None = None
    #: The adopted token's Authorization value and send deadline, while lazy.
    _adopted_bearer: tuple[str, float] | None = None
    #: The app's aiohttp session, which a lazy session sends through.
    _http_session: aiohttp.ClientSession | None = None

    if not TYPE_CHECKING:  # to type checkers, a session has only the attributes it declares

        def __getattr__(self, name: str) -> Any:
            # Reached only for what neither the instance nor its class holds: on a lazy
            # session, anything the template has. Copied once, then found as usual.
            template = self.__dict__.get("_template")
            if template is None:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            self._complete(template)
            return getattr(self, name)

    def _complete(self, template: BoundOAuth2Session | object) -> None:
        """Turn a lazy session into a whole one: the template's state, then its own."""
        own = self.__dict__
        if isinstance(template, BoundOAuth2Session):
            state = template._copied_state(own["_http_session"])
        else:  # BUILT_ANEW: nothing to copy (client authentication, a secret factory)
            whole = BoundOAuth2Session(own["_source"], own["_app_state"], own["_http_session"])
            state = whole.__dict__
        adopted = own.get("_adopted")
        state.update((key, value) for key, value in own.items() if key not in _LAZY_ONLY_ATTRIBUTES)
        self.__dict__ = state  # nothing lazy left: __getattr__ is not reached again
        if adopted:
            self.token = adopted

    def __init__(
        self, provider: Provider, app_state: OAuthState, http: aiohttp.ClientSession | None
    ):
        config = provider.config  # the discovered endpoints, if discovered already
        super().__init__(
            config.client_id,
            auto_refresh_url=config.refresh_url,
            auto_refresh_kwargs=refresh_kwargs(config),
            scope=list(config.scope) if config.scope else None,
            token_updater=None,  # the refresh coordinator stores refreshed tokens
            client_secret=config.client_secret,
            session=http,
            # The provider's one DPoP key and client authentication (assertions...).
            **provider.derived(_client_options),
        )
        self.provider = config.name
        self._app_state = app_state
        self._source = provider
        self._loaded = False
        self._api_base = config.api_base_url
        self._refresh_on_invalid_token = config.refresh_on_invalid_token
        self._guarded = True  # .token/.authorized raise until the token is known
        # Not discovered yet in this process: the refresh URL comes with the metadata.
        self._discover = provider.needs_discovery
        if config.compliance_fix is not None:
            config.compliance_fix(self)

    def __repr__(self) -> str:
        # Says nothing of the token (not even whether there is one: reading it may need I/O).
        loaded = "read" if self._loaded else "not read yet"
        return f"<{type(self).__name__} {self.provider!r}, token {loaded}>"

    def request(self, method: str, url: str | URL, *args: Any, **kwargs: Any) -> ResponseContext:
        """As ``OAuth2Session.request``, with a relative ``url`` resolved against
        ``api_base_url``, and a dead token dealt with once.

        ``token=`` (Authlib's) sends that Bearer token instead of the user's stored one.

        When the answer is a 401 with ``WWW-Authenticate: Bearer
        error="invalid_token"`` (RFC 6750 §3.1: the provider revoked the token, or
        forgot it in a restart), the user's token is refreshed once through the
        refresh coordinator and the request sent again, where there is a refresh
        token; otherwise the token is dropped and :class:`ReauthorizationRequiredError`
        raised, which sends the user to log in again (a JSON client gets a 401).
        A request whose body cannot be sent twice (a stream) is not retried; the
        provider setting ``refresh_on_invalid_token=False`` turns this off.
        """
        if url.__class__ is not str or not url.startswith(("https://", "http://")):
            url = api_url(self.provider, self._api_base, url)  # relative: the common case is not
        if not args and not kwargs:  # the common call: nothing to look into
            if self._refresh_on_invalid_token:
                return DeadTokenRetry(self, method, url, args, kwargs)
            return self._send_once(method, url, args, kwargs)
        if "token" in kwargs:
            kwargs = with_explicit_token(self.provider, str(url), kwargs)
        data = args[0] if args else kwargs.get("data")
        withhold = kwargs.get("withhold_token", args[2] if len(args) > 2 else False)
        if withhold or not self._refresh_on_invalid_token or not replayable(data):
            return self._send_once(method, url, args, kwargs)
        return DeadTokenRetry(self, method, url, args, kwargs)

    def get(self, url: str | URL, **kwargs: Any) -> ResponseContext:
        """Send a GET request; see :meth:`request`."""
        if not kwargs and url.__class__ is str and url.startswith(("https://", "http://")):
            # request() for the most common call, with nothing to look into.
            if self._refresh_on_invalid_token:
                return DeadTokenRetry(self, "GET", url, (), kwargs)
            return self._send_once("GET", url, (), kwargs)
        return self.request("GET", url, **kwargs)

    def _send_once(
        self, method: str, url: str | URL, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> ResponseContext:
        """Send the request once: with the adopted token while the session is lazy
        and the token fresh, else as ``OAuth2Session.request`` does."""
        bearer = self._adopted_bearer
        if bearer is not None and not args and time.time() < bearer[1]:
            str_url = url if url.__class__ is str else str(url)
            if (
                str_url.startswith("https://")
                or (ENVIRON is not None and ENVIRON.get(INSECURE_TRANSPORT_KEY))  # no call: hot
                or secure_transport(str_url)
            ):
                http: aiohttp.ClientSession = self._http_session  # type: ignore[assignment]  # lazy: set
                if not kwargs:
                    return http.request(method, str_url, headers={"Authorization": bearer[0]})
                if _FULL_PATH_KEYWORDS.isdisjoint(kwargs):
                    headers = kwargs.get("headers")
                    send_headers = dict(headers) if headers else {}
                    send_headers["Authorization"] = bearer[0]
                    return http.request(method, str_url, **{**kwargs, "headers": send_headers})
        return OAuth2Session.request(self, method, url, *args, **kwargs)

    async def _token_died(self) -> None:
        """The provider called the token invalid: refresh it once, or drop it."""
        await self._prepare()
        token = self.token
        if token and token.get("refresh_token") and self.auto_refresh_url:
            # Forced, through the coordinator: concurrent requests that met the same
            # dead token join one refresh (or take the token it already stored).
            await self._refresh_for_user(True, None, None)
            return
        await self._app_state.delete_token(self.provider)
        self.token = None
        raise ReauthorizationRequiredError(
            f"The {self.provider!r} access token of this user was refused as invalid and "
            "cannot be refreshed; it was dropped. The user must sign in again.",
            provider=self.provider,
            error="invalid_token",
        )

    async def load_token(self) -> Token | None:
        """Read the user's token from the store (once), and return it or None.

        Only the store is read: whether the user is signed in does not depend on
        the provider being reachable (its metadata is fetched before a request).
        """
        if not self._loaded:
            stored = await self._app_state.load_token(self.provider)
            self._loaded = True
            if stored:
                self.token = stored
        return self.token or None

    async def _prepare(self) -> Token | None:
        """The token, with the provider's discovered endpoints known (to send or refresh)."""
        if self._discover:
            config = await self._source.resolve(self._app_state.http_session())
            self._discover = False
            self.auto_refresh_url = self.auto_refresh_url or config.refresh_url
            if self.client_authentication is not None:
                self.issuer = config.assertion_audience  # the discovered issuer
        return await self.load_token()

    async def _send(self, *args: Any, **kwargs: Any) -> aiohttp.ClientResponse:
        await self._prepare()  # every request verb not on the fast path ends here
        return await super()._send(*args, **kwargs)

    def _adopt(self, token: Token | None) -> None:
        """Take the token this request already read from the store (see bound_session).

        A lazy session that can send it as it is was given it at its making
        (``request_sessions._new_oauth2``); this sets it on a whole session.
        """
        if not self._loaded:
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
        return await stored_claims(self._app_state, self.provider)

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
        config = await self._source.resolve(self._app_state.http_session())
        return await checked_userinfo(config, self, await self.id_token_claims())

    async def profile(self) -> Profile:
        """The user's id, e-mail, name and avatar, the same record for every provider.

        Raises:
            TokenNotFoundError: The user holds no token for this provider.
            UserInfoError: The userinfo answer is unusable, or holds no user id.
        """
        config = await self._source.resolve(self._app_state.http_session())
        token = await self.load_token()
        openid = config.server_metadata_url is not None  # userinfo checked against the login
        return await fetch_profile(
            config,
            self,
            token,
            claims=self.id_token_claims,
            userinfo=self.userinfo if openid else None,
        )

    async def ensure_active_token(
        self, *, client_id: str | None = None, client_secret: str | None = None
    ) -> None:
        """Refresh an expiring token once per user, even across concurrent requests."""
        await self._prepare()
        if not self.token or not token_expired(self.token, self.refresh_margin):
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
        token = await self._prepare()
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
        state = self._app_state
        user = await state.user_id(create=False) or ""
        provider = self.provider
        source = self._source
        http = state.http_session()
        original = await login_claims(state, provider)
        claims: list[Mapping[str, Any]] = []

        replaced: Token = {}  # the token the refresh replaces, for update_token

        async def grant(stored: Token) -> Token:
            # Runs in the coordinator's task, with the token it read under the lease.
            replaced.update(stored)
            self.token = stored
            if not self.auto_refresh_url:
                raise TokenExpiredError()
            new = await OAuth2Session.renew_token(
                self, client_id=client_id, client_secret=client_secret
            )
            for kept in ("sub", "dpop_jkt"):  # what the login recorded, rarely repeated
                if kept in stored and kept not in new:
                    new[kept] = stored[kept]
            # An ID token is validated (OIDC Core §12.2) and its claims kept; the raw
            # one is not stored. One that fails makes the refresh fail.
            config = await source.resolve(http)
            checked, new_claims = await source.flow.refreshed(config, http, new, original)
            if new_claims is not None:
                claims.append(new_claims)
            return checked

        async def notify(token: Token) -> None:
            await send(token_updated, provider=provider, user_id=user, token=token)
            await call_update_token(self._source.settings, replaced, token)  # Authlib's

        try:
            token = await state.refresher.refresh(
                provider,
                user,
                self.token,
                grant,
                force=force,
                margin=self.refresh_margin,
                notify=notify,
            )
        except ReauthorizationRequiredError:
            await state.forget_dropped(provider)
            raise
        self.token = token
        await state.adopt_refreshed(provider, token)
        if claims:
            await replace_claims(state, provider, claims[-1])

    async def forget_token(self, *, revoke: bool = True) -> None:
        """Forget the user's token for this provider, as the logout route does.

        With ``revoke`` the token is first revoked at the provider (RFC 7009) where
        it has a revocation endpoint; a failed revocation is logged, not raised.
        The kept ID token claims go too. Later requests of this session are sent
        without a token.
        """
        await forget_token(self._app_state, self._source, revoke=revoke)
        self.token = None
        self._loaded = True


class BoundOAuth1Session(TokenGuard, AuthlibMethods, OAuth1Session):
    """An ``OAuth1Session`` bound to the current user's stored token for one provider.

    The token is loaded from the store before the first request (or by
    ``await load_token()``). OAuth 1 tokens do not expire, so there is no refresh.

    Attributes:
        provider: The provider's name.
    """

    def __init__(self, provider: Provider, app_state: OAuthState, http: aiohttp.ClientSession):
        config = provider.settings
        super().__init__(
            config.client_id,
            config.client_secret,
            signature_method=config.signature_method,
            session=http,
        )
        self.provider = config.name
        self._app_state = app_state
        self._source = provider
        self._loaded = False
        self._api_base = config.api_base_url
        self._guarded = True  # .token/.authorized raise until the token is known

    def request(self, method: str, url: str | URL, **kwargs: Any) -> ResponseContext:
        """As ``OAuth1Session.request``; a relative ``url`` is resolved against ``api_base_url``."""
        return super().request(method, api_url(self.provider, self._api_base, url), **kwargs)

    def __repr__(self) -> str:
        # Says nothing of the token (not even whether there is one: reading it may need I/O).
        loaded = "read" if self._loaded else "not read yet"
        return f"<{type(self).__name__} {self.provider!r}, token {loaded}>"

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
        await forget_token(self._app_state, self._source, revoke=False)
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
        return await fetch_profile(
            self._source.config, self, await self.load_token(), claims=_no_claims
        )


BoundSession = BoundOAuth2Session | BoundOAuth1Session


def refresh_kwargs(config: ProviderConfig) -> dict[str, str]:
    """Extra refresh parameters: client credentials in the body unless Basic is used."""
    if config.modern_client:
        return {}  # ClientAuthentication adds them to each call
    secret = config.current_client_secret()  # a generated one is valid for minutes: see apple.py
    if config.token_endpoint_auth_method == "client_secret_post" and secret:
        return {"client_id": config.client_id, "client_secret": secret}
    if config.token_endpoint_auth_method == "none":
        return {"client_id": config.client_id}
    return {}


async def _no_claims() -> None:
    return None


#: The template of a lazy session whose provider has none to copy (client authentication,
#: a client secret factory): completing it builds a whole session anew.
BUILT_ANEW: object = object()
#: What only a lazy session holds: dropped when it is completed.
_LAZY_ONLY_ATTRIBUTES = frozenset({"_template", "_adopted", "_adopted_bearer"})
#: Keywords of ``request`` that the lazy fast path leaves to the whole session.
_FULL_PATH_KEYWORDS = frozenset({"token", "withhold_token", "client_id", "client_secret"})


def _client_options(provider: Provider) -> dict[str, Any]:
    """:func:`client_options` of the provider's current config (made once per config)."""
    return client_options(provider.config)
