"""The state and the authorized requests of an OAuth 2 session; the grant flows
build on it in :mod:`quart_oauthlib.client.oauth2_session`."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Self, get_args

import aiohttp
from oauthlib.common import generate_token
from oauthlib.oauth2 import (
    Client,
    TokenExpiredError,
    WebApplicationClient,
)
from yarl import URL

from ..errors import ConfigurationError, TokenUpdated
from . import token_management
from ._oauth2_grant import (
    choose_client_authentication,
    parse_token,
    scope_string,
    stored_credentials,
)
from ._provider_call import call_provider
from ._session_base import BaseSession
from ._single_flight import SingleFlight
from ._token_endpoint import DEFAULT_TOKEN_TYPES, TokenResponse, check_answer
from ._transport import (
    ENVIRON,
    INSECURE_TRANSPORT_KEY,
    BasicCredentials,
    RequestContext,
    ResponseContext,
    SessionHolder,
    maybe_await,
    require_secure_transport,
    secure_transport,
)
from .oauth2_auth import (
    DEFAULT_REFRESH_MARGIN,
    add_token,
    authorization_value,
    expires_at_of,
    lifetime_of,
    load_token,
    margin_for,
    send_deadline,
)

if TYPE_CHECKING:
    from .client_auth import ClientAuthentication, ClientAuthMethod
    from .dpop import DPoPAuth, DPoPKey
    from .jose_keys import PrivateKeySource
    from .par import PushedAuthorization

log = logging.getLogger("quart_oauthlib")

HookType = Literal[
    "access_token_request",
    "access_token_response",
    "refresh_token_request",
    "refresh_token_response",
    "protected_request",
]
PKCEMethod = Literal["S256", "plain"]
_HOOK_TYPES: tuple[HookType, ...] = get_args(HookType)  # once: sessions are made per request
Token = dict[str, Any]
TokenUpdater = Callable[[Token], "Awaitable[None] | None"]

_UNSET: Any = object()
#: The client's access token, token type and placement.
_BearerSource = tuple[object, object, object]


def _bearer_of(client: Client) -> tuple[_BearerSource, str | None]:
    """What the client's token is sent from, and the fast path's Authorization value for it."""
    source = (client.access_token, client.token_type, client.default_token_placement)
    return source, authorization_value(client)


_JSON_FORM_HEADERS = {
    "Accept": "application/json",
    "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
}


class OAuth2SessionBase(BaseSession):
    """Token state, compliance hooks and authorized requests with automatic refresh.

    Not used directly: see :class:`~quart_oauthlib.OAuth2Session`, which documents
    the constructor.
    """

    def __init__(
        self,
        client_id: str | None = None,
        client: Client | None = None,
        auto_refresh_url: str | None = None,
        auto_refresh_kwargs: Mapping[str, Any] | None = None,
        scope: str | list[str] | tuple[str, ...] | None = None,
        redirect_uri: str | None = None,
        token: Mapping[str, Any] | None = None,
        state: str | Callable[[], str] | None = None,
        token_updater: TokenUpdater | None = None,
        *,
        client_secret: str | None = None,
        pkce: PKCEMethod | None = None,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN,
        session: aiohttp.ClientSession | None = None,
        token_endpoint_auth_method: ClientAuthMethod | None = None,
        client_jwk: PrivateKeySource | None = None,
        issuer: str | None = None,
        dpop: bool | DPoPKey | PrivateKeySource | None = None,
        request_object: bool = False,
        **kwargs: Any,
    ):
        super().__init__(session, kwargs)
        # The token's expiry, lifetime and the moment it stops being sent, worked out
        # when the token (or the margin) is set: requests only compare with the clock.
        self._expires_at: float | None = None
        self._lifetime: float | None = None
        self._fresh_until = math.inf
        #: The client's access token, token type and placement (compared on
        #: each request), and the fast path's Authorization value made from them.
        self._bearer_for: _BearerSource = (_UNSET, _UNSET, _UNSET)
        self._bearer: str | None = None
        if pkce is not None and pkce not in get_args(PKCEMethod):
            raise ValueError(f"pkce must be one of {get_args(PKCEMethod)} or None")
        self._client: Client = client or WebApplicationClient(client_id)  # type: ignore[arg-type]  # oauthlib accepts None
        self._client.client_id = client_id or self._client.client_id
        self.auto_refresh_url = auto_refresh_url
        self.auto_refresh_kwargs: dict[str, Any] = dict(auto_refresh_kwargs or {})
        self.scope = scope
        self.redirect_uri = redirect_uri
        self.state = state
        self._state: str | None = state if isinstance(state, str) else None
        self.token_updater = token_updater
        self.client_secret = client_secret
        self._refresh_margin = refresh_margin  # the deadline follows with the token
        self._pkce: PKCEMethod | None = pkce
        self._code_verifier: str | None = None
        #: The token types this session can use (RFC 6749 §7.1); an answer with
        #: another is refused at the exchange. DPoP support adds "DPoP" here.
        self.token_types: set[str] = set(DEFAULT_TOKEN_TYPES)
        self._basic_client_auth = True
        if token or client is not None:
            self.token = token or {}
        # else a new client without a token: nothing to load (sessions are made per request)
        self._refresh: SingleFlight[Token] = SingleFlight()  # not SingleFlight[...](): slow
        self._last_fragment_url: URL | None = None
        # The hooks by type, made on first use: most sessions (one per request) have none.
        self._hooks: dict[HookType, list[Callable[..., Any]]] | None = None
        self._client_auth: ClientAuthentication | None = None
        self._issuer = issuer
        self.request_object = request_object
        #: The last pushed authorization request's ``request_uri`` and expiry (RFC 9126).
        self.pushed_authorization: PushedAuthorization | None = None
        self._dpop: DPoPKey | None = None
        self._dpop_auth: DPoPAuth | None = None
        self._setup_modern_client(token_endpoint_auth_method, client_jwk, dpop)

    def _setup_modern_client(
        self,
        method: ClientAuthMethod | None,
        client_jwk: PrivateKeySource | None,
        dpop: bool | DPoPKey | PrivateKeySource | None,
    ) -> None:
        """Client authentication, DPoP and request objects: imported only when used."""
        if method is None and client_jwk is not None:
            method = "private_key_jwt"
        if method is not None:
            from .client_auth import ClientAuthentication

            self._client_auth = ClientAuthentication(
                method,
                self.client_id or "",
                client_secret=self.client_secret,
                client_jwk=client_jwk,
                issuer=self.issuer,
            )
        if dpop is not None and dpop is not False:
            from .dpop import DPoPAuth, DPoPKey

            self._dpop = DPoPKey.coerce(dpop)
            self._dpop_auth = DPoPAuth(self._dpop)
        if self.request_object and (self._client_auth is None or not self.signing_key):
            raise ConfigurationError(
                "request_object=True signs with the client's private key: "
                "pass client_jwk= (and token_endpoint_auth_method='private_key_jwt')."
            )

    def _copyable(self) -> bool:
        """Whether :meth:`_fresh_copy` may copy this session: nothing in it is shared state.

        A token, compliance hooks (closures over the session, often), client
        authentication and DPoP (objects with state of their own) would be shared
        by the copies, or point back at this session.
        """
        return (
            not self._client.token
            and self._client.access_token is None
            and not any((self._hooks or {}).values())
            and self._client_auth is None
            and self._dpop_auth is None
            and not self._refresh.in_flight
        )

    def _fresh_copy(self, session: aiohttp.ClientSession | None) -> Self:
        """A new session with this one's settings and state of its own, sending through ``session``.

        For sessions made per request from a template (the Quart extension's
        bound sessions): a dict copy costs far less than ``__init__`` and a new
        oauthlib client. Only for a template :meth:`_copyable` allows.
        """
        clone = object.__new__(type(self))
        clone.__dict__ = self._copied_state(session)
        return clone

    def _copied_state(self, session: aiohttp.ClientSession | None) -> dict[str, Any]:
        """The attributes of a :meth:`_fresh_copy`: whatever ``__init__`` makes that a
        request may change in place is made anew."""
        # A dict's copy() clones its table; update() would insert key by key, resizing.
        state = self.__dict__.copy()
        client = object.__new__(type(self._client))
        client.__dict__ = self._client.__dict__.copy()
        client.token = {}
        state["_client"] = client
        state["auto_refresh_kwargs"] = dict(self.auto_refresh_kwargs)
        if isinstance(self.scope, list):
            state["scope"] = list(self.scope)
        state["token_types"] = set(self.token_types)
        state["_hooks"] = None
        state["_refresh"] = SingleFlight()
        state["_http"] = SessionHolder(session, {})
        return state

    @property
    def compliance_hook(self) -> dict[HookType, list[Callable[..., Any]]]:
        """The compliance hooks by type (see :meth:`register_compliance_hook`)."""
        hooks = self._hooks
        if hooks is None:
            hooks = self._hooks = {name: [] for name in _HOOK_TYPES}
        return hooks

    @compliance_hook.setter
    def compliance_hook(self, value: dict[HookType, list[Callable[..., Any]]]) -> None:
        self._hooks = value

    @property
    def issuer(self) -> str | None:
        """The provider's issuer: the ``aud`` of client assertions and request objects.

        Set it once discovery has told it, if it was not known at construction.
        """
        return self._issuer

    @issuer.setter
    def issuer(self, value: str | None) -> None:
        self._issuer = value
        if self._client_auth is not None:
            self._client_auth.issuer = value

    @property
    def client_authentication(self) -> ClientAuthentication | None:
        """How the client authenticates, when ``token_endpoint_auth_method`` was given."""
        return self._client_auth

    @property
    def dpop_key(self) -> DPoPKey | None:
        """The DPoP key when the session uses DPoP (RFC 9449), else None."""
        return self._dpop

    @property
    def signing_key(self) -> Any:
        """The client's private key (``client_jwk``), or None."""
        return None if self._client_auth is None else self._client_auth.signing_key

    # -- attributes ------------------------------------------------------

    @property
    def client_id(self) -> str | None:
        """The client id."""
        client_id: str | None = self._client.client_id
        return client_id

    @client_id.setter
    def client_id(self, value: str | None) -> None:
        self._client.client_id = value  # type: ignore[assignment]  # oauthlib allows None

    @property
    def token(self) -> Token:
        """The current token dict (empty when there is none)."""
        token: Token = self._client.token
        return token

    @token.setter
    def token(self, value: Mapping[str, Any] | None) -> None:
        client = self._client
        load_token(client, value)
        token = client.token
        # oauthlib parsed the expiry already (populate_token_attributes), and keeps a
        # truthy one: parsed again only when it kept none (no expiry, or ``0``).
        parsed = client.__dict__.get("_expires_at")
        self._expires_at = parsed if parsed is not None else expires_at_of(token)
        self._lifetime = lifetime_of(token)
        self._fresh_until = self._deadline()

    @property
    def refresh_margin(self) -> float:
        """Refresh this many seconds before the token expires (scaled for short-lived ones)."""
        return self._refresh_margin

    @refresh_margin.setter
    def refresh_margin(self, value: float) -> None:
        self._refresh_margin = value
        self._fresh_until = self._deadline()

    def _deadline(self) -> float:
        """When the current token stops being sent (infinity for one without expiry)."""
        return send_deadline(self._expires_at, self._refresh_margin, self._lifetime)

    @property
    def access_token(self) -> str | None:
        """The current access token."""
        value: str | None = self._client.access_token
        return value

    @access_token.setter
    def access_token(self, value: str | None) -> None:
        self._client.access_token = value

    @property
    def authorized(self) -> bool:
        """True when the session holds an access token (it may still be expired)."""
        return bool(self.access_token)

    @property
    def code_verifier(self) -> str | None:
        """The PKCE verifier made by :meth:`authorization_url`; keep it until the callback."""
        return self._code_verifier

    @code_verifier.setter
    def code_verifier(self, value: str | None) -> None:
        self._code_verifier = value

    def new_state(self) -> str:
        """Make (and remember) the ``state`` for an authorization request.

        The ``state`` given to the constructor when it is a string (as in
        requests-oauthlib), a new one from it when it is a callable, or a
        random one.
        """
        if isinstance(self.state, str):
            state = self.state
        else:
            state = self.state() if callable(self.state) else generate_token()
        self._state = state
        return state

    def register_compliance_hook(self, hook_type: HookType, hook: Callable[..., Any]) -> None:
        """Register a hook that rewrites requests or answers for a non-compliant provider.

        Hooks run in the order they were registered and may be sync or async:

        * ``access_token_request(url, headers, request_kwargs) -> (url, headers, request_kwargs)``
        * ``access_token_response(response) -> response``
        * ``refresh_token_request(url, headers, body) -> (url, headers, body)``
        * ``refresh_token_response(response) -> response``
        * ``protected_request(url, headers, data) -> (url, headers, data)``

        ``response`` is a :class:`~quart_oauthlib.client.TokenResponse`; assign to
        its ``text`` to change what is parsed.
        """
        if hook_type not in self.compliance_hook:
            raise ValueError(
                f"Hook type {hook_type!r} is not one of {sorted(self.compliance_hook)}."
            )
        self.compliance_hook[hook_type].append(hook)

    # -- authorized requests ---------------------------------------------

    def request(
        self,
        method: str,
        url: str | URL,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        withhold_token: bool = False,
        client_id: str | None = None,
        client_secret: str | None = None,
        **kwargs: Any,
    ) -> ResponseContext:
        """Send a request with the token attached (unless ``withhold_token``).

        An expired token is refreshed first when ``auto_refresh_url`` is set;
        otherwise ``oauthlib.oauth2.TokenExpiredError`` is raised. ``kwargs`` go
        to ``aiohttp.ClientSession.request``.
        """
        if not withhold_token:
            value = self._fast_authorization(url)
            if value is not None:
                # The request is aiohttp's own, with no coroutine of ours around it:
                # every suspension of a request would otherwise pass through more frames.
                if headers:
                    send_headers = dict(headers)
                    send_headers["Authorization"] = value
                else:
                    send_headers = {"Authorization": value}
                http = self._http.current
                if http is None:
                    http = self._http.session
                return http.request(method, url, data=data, headers=send_headers, **kwargs)
        return RequestContext(
            self._send(method, url, data, headers, withhold_token, client_id, client_secret, kwargs)
        )

    def get(self, url: str | URL, **kwargs: Any) -> ResponseContext:
        """Send a GET request; see :meth:`request`."""
        # The most common call of all takes the fast path without request(), unless a
        # subclass overrides request() (it must see every request, as with requests).
        if not kwargs and self._plain_request:
            value = self._fast_authorization(url)
            if value is not None:
                http = self._http.current
                if http is None:
                    http = self._http.session
                return http.get(url, headers={"Authorization": value})
        return self.request("GET", url, **kwargs)

    #: Whether this class sends with OAuth2SessionBase.request (see __init_subclass__).
    _plain_request = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._plain_request = cls.request is OAuth2SessionBase.request

    def _fast_authorization(self, url: str | URL) -> str | None:
        """The Authorization value of the fast path, or None for the full one.

        The fast path: a fresh token sent as a Bearer header, no compliance hook
        to run, and a URL that is a string on a secure transport. Every operation
        here is paid on every request (see ``benchmarks/bench_opcodes.py``).
        """
        client = self._client
        if (
            client.access_token,
            client.token_type,
            client.default_token_placement,
        ) != self._bearer_for:
            self._bearer_for, self._bearer = _bearer_of(client)
        value = self._bearer
        if (
            value is None
            or time.time() >= self._fresh_until
            or (self._hooks is not None and self._hooks["protected_request"])
            or url.__class__ is not str
        ):
            return None
        if (
            url.startswith("https://")
            or (ENVIRON is not None and ENVIRON.get(INSECURE_TRANSPORT_KEY))  # no call: hot
            or secure_transport(url)
        ):
            return value
        return None

    def _margin(self) -> float:
        """The refresh margin for the current token: scaled down for short-lived ones."""
        return margin_for(self.refresh_margin, self._lifetime)

    async def _send(
        self,
        method: str,
        url: str | URL,
        data: Any,
        headers: Mapping[str, str] | None,
        withhold_token: bool,
        client_id: str | None,
        client_secret: str | None,
        kwargs: dict[str, Any],
    ) -> aiohttp.ClientResponse:
        # The hot path: keep it to a few attribute reads when the token is fresh.
        send_headers = dict(headers) if headers else {}
        if not withhold_token and self._client.access_token:
            if time.time() >= self._fresh_until:
                await self.ensure_active_token(client_id=client_id, client_secret=client_secret)
            str_url = str(url)
            if not str_url.startswith("https://"):
                require_secure_transport(str_url)
            hooks = () if self._hooks is None else self._hooks["protected_request"]
            for hook in hooks:
                str_url, send_headers, data = await maybe_await(hook(str_url, send_headers, data))
            if self._dpop_auth is not None:
                send_headers["Authorization"] = f"DPoP {self._client.access_token}"
                url = str_url
            else:
                url, send_headers, data = add_token(
                    self._client, method, str_url, send_headers, data
                )
        if self._dpop_auth is not None and "middlewares" not in kwargs:
            # Per-request middlewares replace the session's: keep those it has.
            session_middlewares = getattr(self._http.session, "_middlewares", ())
            kwargs = {**kwargs, "middlewares": (*session_middlewares, self._dpop_auth)}
        response = await self._http.session.request(
            method, url, data=data, headers=send_headers, **kwargs
        )
        if response.history and response.real_url.fragment:  # a redirect to "...#token"
            self._last_fragment_url = response.real_url
        return response

    async def ensure_active_token(
        self, *, client_id: str | None = None, client_secret: str | None = None
    ) -> None:
        """Refresh the token now if it is (about to be) expired.

        Raises:
            oauthlib.oauth2.TokenExpiredError: Expired, and no ``auto_refresh_url``.
            TokenUpdated: Refreshed, and no ``token_updater`` to hand it to.
            TokenRefreshError: The refresh failed; the old token is still set.
        """
        if time.time() < self._fresh_until:
            return
        if not self.auto_refresh_url:
            raise TokenExpiredError()
        token, started = await self._refresh_once(client_id, client_secret)
        if started and self.token_updater is None:
            raise TokenUpdated(token)

    async def renew_token(
        self, *, client_id: str | None = None, client_secret: str | None = None
    ) -> Token:
        """Refresh the token now, expired or not, and return the new one.

        For a "refresh now" button, or to pick up scopes or claims changed at the
        provider. It shares the single flight of the automatic refresh, so concurrent
        calls (and a concurrent automatic refresh) make one grant; ``token_updater``
        gets the new token as after an automatic refresh.

        Raises:
            ConfigurationError: No ``auto_refresh_url`` to refresh at.
            oauthlib.oauth2.TokenExpiredError: There is no refresh token (and the
                client is no client-credentials client, which simply asks again).
            TokenRefreshError: The refresh failed; the old token is still set.
        """
        if not self.auto_refresh_url:
            raise ConfigurationError("renew_token() needs the session's auto_refresh_url.")
        token, _ = await self._refresh_once(client_id, client_secret)
        return dict(token)

    async def _refresh_once(
        self, client_id: str | None, client_secret: str | None
    ) -> tuple[Token, bool]:
        """Renew in the session's single flight: (the token, whether this call renewed it)."""
        expired = self.access_token

        async def renew() -> Token:
            if self.access_token != expired:
                return self.token  # another flight already renewed it
            return await self._renew(client_id, client_secret)

        return await self._refresh.run(renew)

    async def _renew(self, client_id: str | None, client_secret: str | None) -> Token:
        """Get a new token (refresh, or ask again); the grant flows define it."""
        raise NotImplementedError

    # -- token management (RFC 7009, RFC 7662) ---------------------------

    async def revoke_token(
        self,
        url: str,
        token: str | None = None,
        token_type_hint: str | None = "access_token",  # noqa: S107 -- RFC 7009 name
        **kwargs: Any,
    ) -> None:
        """Revoke a token at the provider (RFC 7009); the session keeps its token.

        See :func:`quart_oauthlib.client.token_management.revoke_token`.
        """
        await token_management.revoke_token(self, url, token, token_type_hint, **kwargs)

    async def introspect_token(
        self, url: str, token: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """Ask the provider whether a token is active (RFC 7662).

        See :func:`quart_oauthlib.client.token_management.introspect_token`.
        """
        return await token_management.introspect_token(self, url, token, **kwargs)

    # -- helpers ---------------------------------------------------------

    def _client_authentication(
        self,
        auth: BasicCredentials | None,
        include_client_id: bool | None,
        client_secret: str | None,
    ) -> tuple[str | None, bool]:
        header, include, self._basic_client_auth = choose_client_authentication(
            self.client_id, auth, include_client_id, client_secret
        )
        return header, include

    def _stored_credentials(self, kwargs: dict[str, Any]) -> str | None:
        return stored_credentials(
            self.client_id, self.client_secret, self._basic_client_auth, kwargs
        )

    def _parse_token(self, response: TokenResponse) -> Token:
        if self._dpop is not None:
            from .dpop import check_dpop_answer

            check_answer(response, token_types=("Bearer", "DPoP"))
            check_dpop_answer(response)
            return parse_token(
                self._client, response, scope_string(self.scope), token_types=("DPoP",)
            )
        return parse_token(self._client, response, scope_string(self.scope), self.token_types)

    async def _post_to_provider(
        self,
        method: str,
        url: str,
        *,
        form: Mapping[str, str] | Sequence[tuple[str, str]],
        headers: dict[str, str],
        as_query: bool = False,
        timeout: float | aiohttp.ClientTimeout | None = None,
        request_options: dict[str, Any] | None = None,
        dpop: bool = True,
    ) -> TokenResponse:
        """Send a form to the provider with the client's authentication and DPoP proof.

        Without ``token_endpoint_auth_method`` the form and headers already hold
        the credentials (the requests-oauthlib way), and are sent as they are.
        """
        return await call_provider(
            self._http.session,
            method,
            url,
            form=form,
            headers=headers,
            as_query=as_query,
            timeout=timeout,
            request_options=request_options,
            client_auth=self._client_auth,
            dpop=self._dpop if dpop else None,
        )
