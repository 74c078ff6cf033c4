"""``OAuth2Session``: requests-oauthlib's OAuth 2 session, async, on aiohttp."""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Literal, Self, get_args
from urllib.parse import parse_qsl

import aiohttp
from oauthlib.common import generate_token
from oauthlib.oauth2 import (
    BackendApplicationClient,
    Client,
    LegacyApplicationClient,
    MismatchingStateError,
    TokenExpiredError,
    WebApplicationClient,
)
from yarl import URL

from ..errors import TokenRefreshError, TokenUpdated
from . import token_management
from ._single_flight import SingleFlight
from ._token_endpoint import TokenResponse, check_answer, post_form
from ._transport import (
    BasicCredentials,
    RequestContext,
    SessionHolder,
    authorization_from,
    basic_authorization,
    maybe_await,
    require_secure_transport,
    ssl_option,
)
from .oauth2_auth import (
    DEFAULT_REFRESH_MARGIN,
    add_token,
    expires_at_of,
    is_expired,
    load_token,
)

log = logging.getLogger("quart_oauthlib")

HookType = Literal[
    "access_token_request",
    "access_token_response",
    "refresh_token_request",
    "refresh_token_response",
    "protected_request",
]
PKCEMethod = Literal["S256", "plain"]
Token = dict[str, Any]
TokenUpdater = Callable[[Token], "Awaitable[None] | None"]

_JSON_FORM_HEADERS = {
    "Accept": "application/json",
    "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
}


class OAuth2Session:
    """An OAuth 2 client session: authorization URLs, token requests, authorized calls.

    The API of requests-oauthlib's ``OAuth2Session``, made async. Network calls
    are awaited; ``get``/``post``/... return something you can ``await`` or use
    with ``async with``, giving aiohttp's ``ClientResponse``.

    Supports any ``oauthlib.oauth2.Client``: ``WebApplicationClient`` (the
    default, authorization code grant), ``MobileApplicationClient`` (implicit),
    ``LegacyApplicationClient`` (password) and ``BackendApplicationClient``
    (client credentials).

    Many tasks may share one session. When the token has expired, exactly one
    of them refreshes it and the others wait for and use the new token; a
    failed refresh keeps the old token and raises :class:`TokenRefreshError`
    in every waiter.

    Args:
        client_id: The client id from your provider.
        client: An oauthlib client; ``WebApplicationClient(client_id)`` by default.
        auto_refresh_url: The token endpoint to refresh expired tokens at.
        auto_refresh_kwargs: Extra parameters for automatic refresh requests.
        scope: The scopes to ask for (a list, or a space-separated string).
        redirect_uri: Your registered callback URL.
        token: A token dict to start with.
        state: The ``state`` to expect in the authorization response.
        token_updater: Called (sync or async) with each refreshed token.
        client_secret: Kept so that refreshes and re-fetches authenticate
            without passing it again.
        pkce: ``"S256"`` (recommended) or ``"plain"`` to use PKCE (RFC 7636).
        refresh_margin: Refresh this many seconds before the token expires.
        session: An ``aiohttp.ClientSession`` to borrow (it stays yours to close).
        **kwargs: Options for the ``aiohttp.ClientSession`` created otherwise.
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
        **kwargs: Any,
    ):
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
        self.refresh_margin = refresh_margin
        self._pkce: PKCEMethod | None = pkce
        self._code_verifier: str | None = None
        self._basic_client_auth = True
        self._expires_at: float | None = None
        self.token = token or {}
        self._refresh = SingleFlight[Token]()
        self._last_fragment_url: URL | None = None
        self.compliance_hook: dict[HookType, list[Callable[..., Any]]] = {
            name: [] for name in get_args(HookType)
        }
        self._http = SessionHolder(session, kwargs)

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
        load_token(self._client, value)
        self._expires_at = expires_at_of(self._client.token)

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

    @property
    def http(self) -> aiohttp.ClientSession:
        """The underlying ``aiohttp.ClientSession``."""
        return self._http.session

    def new_state(self) -> str:
        """Make (and remember) a fresh ``state`` for an authorization request."""
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

    # -- authorization ---------------------------------------------------

    def authorization_url(
        self, url: str, state: str | None = None, **kwargs: Any
    ) -> tuple[str, str]:
        """Build the URL to send the user to, and the ``state`` to check on return.

        With ``pkce`` set, a new code verifier is made and its challenge added;
        read it from :attr:`code_verifier` if the callback runs elsewhere.

        Returns:
            ``(authorization_url, state)``
        """
        state = state or self.new_state()
        self._state = state
        if self._pkce:
            self._code_verifier = self._client.create_code_verifier(64)
            kwargs["code_challenge_method"] = self._pkce
            # oauthlib's create_code_challenge returns None for an explicit
            # "plain"; the plain challenge is the verifier itself (RFC 7636 §4.2).
            kwargs["code_challenge"] = (
                self._code_verifier
                if self._pkce == "plain"
                else self._client.create_code_challenge(self._code_verifier, self._pkce)
            )
        uri: str = self._client.prepare_request_uri(
            url, redirect_uri=self.redirect_uri, scope=self.scope, state=state, **kwargs
        )
        return uri, state

    def token_from_fragment(
        self, authorization_response: str | URL | aiohttp.ClientResponse
    ) -> Token:
        """Take the token from the fragment of the redirect back (implicit grant).

        Accepts the full redirect URL, or the response of ``await session.get(auth_url)``
        (or its ``url``: aiohttp drops the fragment from ``response.url``, so the
        session remembers the last redirect that carried one).
        """
        uri = self._fragment_url(authorization_response)
        self._client.parse_request_uri_response(uri, state=self._state)
        self.token = self._client.token
        return self.token

    def _fragment_url(self, value: str | URL | aiohttp.ClientResponse) -> str:
        if isinstance(value, aiohttp.ClientResponse):
            value = value.real_url
        url = URL(value) if isinstance(value, str) else value
        last = self._last_fragment_url
        if not url.fragment and last is not None and last.with_fragment(None) == url:
            url = last
        return str(url)

    # -- token endpoint --------------------------------------------------

    async def fetch_token(
        self,
        token_url: str,
        code: str | None = None,
        authorization_response: str | None = None,
        body: str = "",
        auth: BasicCredentials | None = None,
        username: str | None = None,
        password: str | None = None,
        method: str = "POST",
        force_querystring: bool = False,
        timeout: float | aiohttp.ClientTimeout | None = None,
        headers: Mapping[str, str] | None = None,
        verify_ssl: bool = True,
        proxy: str | None = None,
        include_client_id: bool | None = None,
        client_secret: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        cert: str | tuple[str, str] | None = None,
        code_verifier: str | None = None,
        **kwargs: Any,
    ) -> Token:
        """Get a token from the token endpoint (every grant but implicit).

        The session's token is replaced only when the provider answers with a
        valid token. A different scope than asked for is not an error: the
        granted scope is recorded in ``token["scope"]``.

        Args:
            token_url: The token endpoint (https).
            code: The authorization code, when you parsed it yourself.
            authorization_response: The full callback URL; ``state`` is checked.
            body: Extra form-encoded parameters (prefer ``kwargs``).
            auth: Client credentials for HTTP Basic, as ``(id, secret)`` or
                ``aiohttp.BasicAuth``. By default the client id and secret are
                sent with Basic, as RFC 6749 §2.3.1 recommends.
            username: For the password grant.
            password: For the password grant.
            method: ``"POST"`` or ``"GET"``.
            force_querystring: Send the parameters in the query string.
            timeout: Total deadline of the request, in seconds (30 by default).
            headers: Headers to send instead of the defaults.
            verify_ssl: False disables certificate checks.
            proxy: A proxy URL, as aiohttp takes it.
            include_client_id: True sends ``client_id`` (and the secret) in the
                body; False never does; None decides (Basic when possible).
            client_secret: The client secret; also kept for later refreshes.
            ssl_context: An ``ssl.SSLContext`` to use.
            cert: A client certificate for TLS client authentication (RFC 8705):
                a PEM path or ``(certfile, keyfile)``.
            code_verifier: The PKCE verifier, when the session that made the
                authorization URL is gone.
            **kwargs: Extra parameters for the token request.

        Returns:
            The token dict.
        """
        require_secure_transport(token_url)
        if client_secret is not None:
            self.client_secret = client_secret
        client_secret = self.client_secret if client_secret is None else client_secret
        code = self._authorization_code(code, authorization_response)
        verifier = code_verifier or self._code_verifier
        if self._pkce and isinstance(self._client, WebApplicationClient):
            if verifier is None:
                raise ValueError(
                    "No PKCE code verifier: call authorization_url() first on this session, "
                    "or pass code_verifier= (keep it with the state between requests)."
                )
        if verifier is not None and isinstance(self._client, WebApplicationClient):
            kwargs["code_verifier"] = verifier
        self._check_password_grant(username, password)
        if username is not None:
            kwargs["username"] = username
        if password is not None:
            kwargs["password"] = password

        authorization, include_client_id = self._client_authentication(
            auth, include_client_id, client_secret
        )
        if include_client_id and client_secret is not None:
            kwargs["client_secret"] = client_secret
        prepared = self._client.prepare_request_body(
            code=code,
            body=body,
            redirect_uri=self.redirect_uri,
            include_client_id=include_client_id,
            **kwargs,
        )
        send_headers = dict(headers) if headers else dict(_JSON_FORM_HEADERS)
        if authorization:
            send_headers["Authorization"] = authorization
        method = method.upper()
        if method not in ("POST", "GET"):
            raise ValueError("The method kwarg must be POST or GET.")
        request_kwargs: dict[str, Any] = {
            "params" if force_querystring or method == "GET" else "data": dict(
                parse_qsl(prepared, keep_blank_values=True)
            )
        }
        for hook in self.compliance_hook["access_token_request"]:
            token_url, send_headers, request_kwargs = await maybe_await(
                hook(token_url, send_headers, request_kwargs)
            )
        as_query = "params" in request_kwargs
        form = request_kwargs.get("params" if as_query else "data") or {}
        response = await post_form(
            self.http,
            method,
            token_url,
            form=form,
            headers=send_headers,
            as_query=as_query,
            timeout=timeout,
            request_options=self._request_options(verify_ssl, ssl_context, cert, proxy),
        )
        log.debug(
            "Token request to %s answered %s.", URL(token_url).with_query(None), response.status
        )
        for hook in self.compliance_hook["access_token_response"]:
            response = await maybe_await(hook(response))
        self.token = self._parse_token(response)
        if isinstance(self._client, WebApplicationClient):
            self._code_verifier = None  # single use (RFC 7636 §4.5)
        return self.token

    async def refresh_token(
        self,
        token_url: str,
        refresh_token: str | None = None,
        body: str = "",
        auth: BasicCredentials | None = None,
        timeout: float | aiohttp.ClientTimeout | None = None,
        headers: Mapping[str, str] | None = None,
        verify_ssl: bool = True,
        proxy: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        cert: str | tuple[str, str] | None = None,
        **kwargs: Any,
    ) -> Token:
        """Get a new access token with a refresh token.

        The client credentials the session knows (``client_secret`` given to
        the constructor or to :meth:`fetch_token`) are sent the same way as for
        the original token, unless ``auth`` or a ``client_secret`` keyword says
        otherwise. On any failure the current token is left untouched.

        Returns:
            The new token dict. A provider that sends no new refresh token
            leaves the old one in it, so the next refresh still works.
        """
        require_secure_transport(token_url)
        refresh_token = refresh_token or self.token.get("refresh_token")
        if not refresh_token:
            raise ValueError("No refresh token: pass refresh_token= or set a token that has one.")
        authorization = authorization_from(auth)
        if authorization is None and "client_secret" not in kwargs:
            authorization = self._stored_credentials(kwargs)
        prepared = self._client.prepare_refresh_body(
            body=body, refresh_token=refresh_token, scope=self._scope_string(), **kwargs
        )
        send_headers = dict(headers) if headers else dict(_JSON_FORM_HEADERS)
        if authorization:
            send_headers["Authorization"] = authorization
        for hook in self.compliance_hook["refresh_token_request"]:
            token_url, send_headers, prepared = await maybe_await(
                hook(token_url, send_headers, prepared)
            )
        response = await post_form(
            self.http,
            "POST",
            token_url,
            form=dict(parse_qsl(prepared, keep_blank_values=True)),
            headers=send_headers,
            as_query=False,
            timeout=timeout,
            request_options=self._request_options(verify_ssl, ssl_context, cert, proxy),
        )
        for hook in self.compliance_hook["refresh_token_response"]:
            response = await maybe_await(hook(response))
        new_token = self._parse_token(response)
        if "refresh_token" not in new_token:
            new_token["refresh_token"] = refresh_token
        self.token = new_token
        return self.token

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
    ) -> RequestContext:
        """Send a request with the token attached (unless ``withhold_token``).

        An expired token is refreshed first when ``auto_refresh_url`` is set;
        otherwise ``oauthlib.oauth2.TokenExpiredError`` is raised. ``kwargs`` go
        to ``aiohttp.ClientSession.request``.
        """
        return RequestContext(
            self._send(method, url, data, headers, withhold_token, client_id, client_secret, kwargs)
        )

    def get(self, url: str | URL, **kwargs: Any) -> RequestContext:
        """Send a GET request; see :meth:`request`."""
        return self.request("GET", url, **kwargs)

    def options(self, url: str | URL, **kwargs: Any) -> RequestContext:
        """Send an OPTIONS request; see :meth:`request`."""
        return self.request("OPTIONS", url, **kwargs)

    def head(self, url: str | URL, **kwargs: Any) -> RequestContext:
        """Send a HEAD request; see :meth:`request`."""
        kwargs.setdefault("allow_redirects", False)
        return self.request("HEAD", url, **kwargs)

    def post(self, url: str | URL, data: Any = None, **kwargs: Any) -> RequestContext:
        """Send a POST request; see :meth:`request`."""
        return self.request("POST", url, data=data, **kwargs)

    def put(self, url: str | URL, data: Any = None, **kwargs: Any) -> RequestContext:
        """Send a PUT request; see :meth:`request`."""
        return self.request("PUT", url, data=data, **kwargs)

    def patch(self, url: str | URL, data: Any = None, **kwargs: Any) -> RequestContext:
        """Send a PATCH request; see :meth:`request`."""
        return self.request("PATCH", url, data=data, **kwargs)

    def delete(self, url: str | URL, **kwargs: Any) -> RequestContext:
        """Send a DELETE request; see :meth:`request`."""
        return self.request("DELETE", url, **kwargs)

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
            expires_at = self._expires_at
            if expires_at is not None and expires_at - self.refresh_margin <= time.time():
                await self.ensure_active_token(client_id=client_id, client_secret=client_secret)
            str_url = str(url)
            if not str_url.startswith("https://"):
                require_secure_transport(str_url)
            hooks = self.compliance_hook["protected_request"]
            for hook in hooks:
                str_url, send_headers, data = await maybe_await(hook(str_url, send_headers, data))
            url, send_headers, data = add_token(self._client, method, str_url, send_headers, data)
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
        if not is_expired(self._expires_at, self.refresh_margin):
            return
        if not self.auto_refresh_url:
            raise TokenExpiredError()
        expired = self.access_token

        async def renew() -> Token:
            if self.access_token != expired:
                return self.token  # another flight already renewed it
            return await self._renew(client_id, client_secret)

        token, started = await self._refresh.run(renew)
        if started and self.token_updater is None:
            raise TokenUpdated(token)

    async def _renew(self, client_id: str | None, client_secret: str | None) -> Token:
        url = self.auto_refresh_url or ""
        extra = dict(self.auto_refresh_kwargs)
        auth: BasicCredentials | None = None
        if client_id and client_secret:
            auth = (client_id, client_secret)
        has_refresh_token = bool(self.token.get("refresh_token"))
        if not has_refresh_token and not isinstance(self._client, BackendApplicationClient):
            raise TokenExpiredError(description="Expired, and there is no refresh token.")
        try:
            if has_refresh_token:
                token = await self.refresh_token(url, auth=auth, **extra)
            else:  # client credentials: simply ask again
                token = await self.fetch_token(url, auth=auth, **extra)
        except Exception as exc:
            error = getattr(exc, "error", None)
            raise TokenRefreshError(
                f"Refreshing the expired token failed ({type(exc).__name__}: "
                f"{error or 'see __cause__'}); the previous token is kept.",
                error=error if isinstance(error, str) else None,
                description=getattr(exc, "description", None),
            ) from exc
        log.info("Refreshed the access token for client %s.", self.client_id)
        if self.token_updater is not None:
            await maybe_await(self.token_updater(token))
        return token

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

    def _authorization_code(
        self, code: str | None, authorization_response: str | None
    ) -> str | None:
        if code or not isinstance(self._client, WebApplicationClient):
            return code
        if authorization_response:
            if self._state is None:
                raise MismatchingStateError(
                    description="No state to check the authorization response against: "
                    "pass state= to the session (the one authorization_url() returned)."
                )
            self._client.parse_request_uri_response(authorization_response, state=self._state)
            found: str | None = self._client.code
            return found
        code = self._client.code
        if not code:
            raise ValueError("Please supply either code or authorization_response parameters.")
        return code

    def _check_password_grant(self, username: str | None, password: str | None) -> None:
        if isinstance(self._client, LegacyApplicationClient):
            if username is None:
                raise ValueError(
                    "`LegacyApplicationClient` requires both the `username` "
                    "and `password` parameters."
                )
            if password is None:
                raise ValueError(
                    "The required parameter `username` was supplied, but `password` was not."
                )

    def _client_authentication(
        self,
        auth: BasicCredentials | None,
        include_client_id: bool | None,
        client_secret: str | None,
    ) -> tuple[str | None, bool]:
        """Decide how the client authenticates: HTTP Basic, or id (and secret) in the body.

        A confidential client uses Basic unless told otherwise (RFC 6749 §2.3.1).
        A public client (no secret anywhere) identifies itself with ``client_id``
        in the body (§4.1.3), not with a Basic header holding an empty password.
        """
        if auth is not None:
            self._basic_client_auth = True
            return authorization_from(auth), bool(include_client_id)
        if include_client_id is None and client_secret is None:
            self._basic_client_auth = False
            return None, bool(self.client_id)
        if include_client_id is not True and self.client_id:
            self._basic_client_auth = True
            return basic_authorization(self.client_id, client_secret or "", form_encode=True), False
        self._basic_client_auth = False
        return None, bool(include_client_id)

    def _stored_credentials(self, kwargs: dict[str, Any]) -> str | None:
        """Authenticate a refresh the way the token was fetched, with stored credentials."""
        if self.client_secret is None:
            return None
        if self._basic_client_auth and self.client_id:
            return basic_authorization(self.client_id, self.client_secret, form_encode=True)
        kwargs.setdefault("client_id", self.client_id)
        kwargs["client_secret"] = self.client_secret
        return None

    def _parse_token(self, response: TokenResponse) -> Token:
        check_answer(response, token_types=self._client.token_types)
        try:
            self._client.parse_request_body_response(response.text, scope=self._scope_string())
        except Warning as changed:
            # The provider granted other scopes than asked for. RFC 6749 §3.3
            # allows it; record what was granted instead of failing the login.
            granted = getattr(changed, "token", None)
            if granted is None:
                raise
            log.info("The provider granted a different scope than requested.")
            self._client.token = granted
            self._client.populate_token_attributes(granted)
        token: Token = dict(self._client.token)
        scope = token.get("scope")
        if isinstance(scope, list) and len(scope) == 1 and "," in scope[0]:
            token["scope"] = [s for s in scope[0].split(",") if s]  # GitHub's commas
        return token

    def _scope_string(self) -> str | None:
        if self.scope is None or isinstance(self.scope, str):
            return self.scope
        return " ".join(self.scope)

    @staticmethod
    def _request_options(
        verify_ssl: bool,
        ssl_context: ssl.SSLContext | None,
        cert: str | tuple[str, str] | None,
        proxy: str | None,
    ) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if not verify_ssl or ssl_context is not None or cert is not None:
            options["ssl"] = ssl_option(verify_ssl=verify_ssl, ssl_context=ssl_context, cert=cert)
        if proxy is not None:
            options["proxy"] = proxy
        return options

    # -- lifecycle -------------------------------------------------------

    async def close(self) -> None:
        """Close the aiohttp session, if this session created it."""
        await self._http.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
