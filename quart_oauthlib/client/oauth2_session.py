"""``OAuth2Session``: requests-oauthlib's OAuth 2 session, async, on aiohttp."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import aiohttp
from oauthlib.oauth2 import (
    BackendApplicationClient,
    TokenExpiredError,
    WebApplicationClient,
)
from yarl import URL

from ..errors import TokenRefreshError
from ._oauth2_base import (
    _JSON_FORM_HEADERS,
    HookType,
    OAuth2SessionBase,
    PKCEMethod,
    Token,
    TokenUpdater,
)
from ._oauth2_grant import (
    authorization_code,
    check_password_grant,
    scope_string,
)
from ._resource_indicators import Resource, add_to_form, add_to_uri, resource_list
from ._transport import (
    BasicCredentials,
    authorization_from,
    maybe_await,
    request_options,
    requests_options,
    require_secure_transport,
)

if TYPE_CHECKING:
    from .native.device import DeviceCodeHandler
    from .native.loopback import BrowserOpener

__all__ = ["HookType", "OAuth2Session", "PKCEMethod", "Token", "TokenUpdater"]

log = logging.getLogger("quart_oauthlib")


class OAuth2Session(OAuth2SessionBase):
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
        refresh_margin: Refresh this many seconds before the token expires (at
            most a quarter of its lifetime, so a short-lived token is usable).
        session: An ``aiohttp.ClientSession`` to borrow (it stays yours to close).
        token_endpoint_auth_method: How the client authenticates on every call to
            the provider (token, refresh, PAR, revocation, introspection):
            ``client_secret_basic``, ``client_secret_post``, ``client_secret_jwt``,
            ``private_key_jwt``, ``tls_client_auth`` or ``none``. None keeps the
            requests-oauthlib behaviour (Basic, or the id in the body).
        client_jwk: The client's private key for ``private_key_jwt`` and request
            objects: a JWK dict or ``(pem_path, kid)``. Implies ``private_key_jwt``.
        issuer: The provider's issuer: the ``aud`` of client assertions and
            request objects.
        dpop: True (a new ES256 key), a :class:`~quart_oauthlib.client.dpop.DPoPKey`
            or a private JWK: DPoP-bound tokens (RFC 9449).
        request_object: Sign the authorization request with ``client_jwk`` (JAR,
            RFC 9101).
        **kwargs: Options for the ``aiohttp.ClientSession`` created otherwise.
    """

    # -- authorization ---------------------------------------------------

    def authorization_url(
        self,
        url: str,
        state: str | None = None,
        *,
        resource: Resource | None = None,
        **kwargs: Any,
    ) -> tuple[str, str]:
        """Build the URL to send the user to, and the ``state`` to check on return.

        With ``pkce`` set, a new code verifier is made and its challenge added;
        read it from :attr:`code_verifier` if the callback runs elsewhere.
        ``resource`` (one URI or a list) names the APIs the token is for (RFC 8707).

        Returns:
            ``(authorization_url, state)``
        """
        resources = resource_list(resource)
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
        if self._dpop is not None:
            kwargs.setdefault("dpop_jkt", self._dpop.thumbprint)  # binds the code (RFC 9449 §10)
        uri: str = self._client.prepare_request_uri(
            url, redirect_uri=self.redirect_uri, scope=self.scope, state=state, **kwargs
        )
        uri = add_to_uri(uri, resources)
        if self.request_object:
            from .par import signed_request_url

            uri = signed_request_url(self, uri)
        return uri, state

    async def push_authorization_request(
        self,
        par_endpoint: str,
        authorization_url: str,
        state: str | None = None,
        *,
        timeout: float | aiohttp.ClientTimeout | None = None,
        **kwargs: Any,
    ) -> tuple[str, str]:
        """Push the authorization request to the provider (PAR, RFC 9126) and build the URL.

        The parameters :meth:`authorization_url` would put in the URL (with PKCE,
        ``dpop_jkt``, and as a signed request object when ``request_object`` is
        on) are posted to ``par_endpoint``, authenticated like a token request.
        The URL returned carries only ``client_id`` and the ``request_uri``.
        The ``request_uri`` expires: :attr:`pushed_authorization` says when.

        Returns:
            ``(authorization_url, state)``

        Raises:
            PushedAuthorizationError: The endpoint answered 400, 401 or another
                error (``error``, ``description``, ``uri`` and ``status`` set).
            PushedAuthorizationRateLimited: It answered 429 (``retry_after`` set).
        """
        from .par import push

        return await push(self, par_endpoint, authorization_url, state, timeout, kwargs)

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
        resource: Resource | None = None,
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
            timeout: Total deadline of the request, in seconds (10 by default).
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
            resource: The API (one URI, or a list) the token is for (RFC 8707).
            **kwargs: Extra parameters for the token request.

        Returns:
            The token dict.
        """
        require_secure_transport(token_url)
        options = requests_options(
            kwargs, token_url, request_options(verify_ssl, ssl_context, cert, proxy)
        )
        resources = resource_list(resource)
        if client_secret is not None:
            self.client_secret = client_secret
        client_secret = self.client_secret if client_secret is None else client_secret
        code = authorization_code(self._client, self._state, code, authorization_response)
        verifier = code_verifier or self._code_verifier
        if self._pkce and isinstance(self._client, WebApplicationClient):
            if verifier is None:
                raise ValueError(
                    "No PKCE code verifier: call authorization_url() first on this session, "
                    "or pass code_verifier= (keep it with the state between requests)."
                )
        if verifier is not None and isinstance(self._client, WebApplicationClient):
            kwargs["code_verifier"] = verifier
        check_password_grant(self._client, username, password)
        if username is not None:
            kwargs["username"] = username
        if password is not None:
            kwargs["password"] = password

        if self._client_auth is not None:
            # token_endpoint_auth_method decides; applied per attempt by _post_to_provider.
            if client_secret is not None:
                self._client_auth.client_secret = client_secret
            authorization, include_client_id = None, False
            client_secret = None
        else:
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
        response = await self._post_to_provider(
            method,
            token_url,
            form=add_to_form(form, resources),
            headers=send_headers,
            as_query=as_query,
            timeout=timeout,
            request_options=options,
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
        resource: Resource | None = None,
        **kwargs: Any,
    ) -> Token:
        """Get a new access token with a refresh token.

        The client credentials the session knows (``client_secret`` given to
        the constructor or to :meth:`fetch_token`) are sent the same way as for
        the original token, unless ``auth`` or a ``client_secret`` keyword says
        otherwise. On any failure the current token is left untouched.
        ``resource`` (one URI, or a list) asks for a token for those APIs (RFC 8707).

        Returns:
            The new token dict. A provider that sends no new refresh token
            leaves the old one in it, so the next refresh still works.
        """
        require_secure_transport(token_url)
        kwargs = {**self.auto_refresh_kwargs, **kwargs}  # as requests-oauthlib merges them
        options = requests_options(
            kwargs, token_url, request_options(verify_ssl, ssl_context, cert, proxy)
        )
        resources = resource_list(resource)
        refresh_token = refresh_token or self.token.get("refresh_token")
        if not refresh_token:
            raise ValueError("No refresh token: pass refresh_token= or set a token that has one.")
        authorization = authorization_from(auth)
        if self._client_auth is not None:
            authorization = None  # token_endpoint_auth_method decides
        elif authorization is None and "client_secret" not in kwargs:
            authorization = self._stored_credentials(kwargs)
        if authorization is None and self.client_secret is None and self.client_id:
            kwargs.setdefault("client_id", self.client_id)  # a public client (RFC 6749 §3.2.1)
        prepared = self._client.prepare_refresh_body(
            body=body, refresh_token=refresh_token, scope=scope_string(self.scope), **kwargs
        )
        send_headers = dict(headers) if headers else dict(_JSON_FORM_HEADERS)
        if authorization:
            send_headers["Authorization"] = authorization
        for hook in self.compliance_hook["refresh_token_request"]:
            token_url, send_headers, prepared = await maybe_await(
                hook(token_url, send_headers, prepared)
            )
        response = await self._post_to_provider(
            "POST",
            token_url,
            form=add_to_form(dict(parse_qsl(prepared, keep_blank_values=True)), resources),
            headers=send_headers,
            as_query=False,
            timeout=timeout,
            request_options=options,
        )
        for hook in self.compliance_hook["refresh_token_response"]:
            response = await maybe_await(hook(response))
        new_token = self._parse_token(response)
        if "refresh_token" not in new_token:
            new_token["refresh_token"] = refresh_token
        self.token = new_token
        return self.token

    # -- native apps (RFC 8252, RFC 8628) and token exchange (RFC 8693) --------

    async def login_with_browser(
        self,
        authorization_url: str,
        token_url: str,
        *,
        open_browser: BrowserOpener | None = None,
        port: int = 0,
        timeout: float | None = 300,
        redirect_path: str = "/callback",
        authorization_params: Mapping[str, Any] | None = None,
        issuer: str | None = None,
        require_iss: bool = False,
        **fetch_token_kwargs: Any,
    ) -> Token:
        """Log the user in through their browser, for a script or tool (RFC 8252).

        Listens on ``http://127.0.0.1:<port><redirect_path>`` (the redirect URI,
        for this login only), opens the authorization URL with PKCE S256 and a
        fresh state, waits for the one callback, answers the browser with a page
        that says it can be closed, and exchanges the code. The listener is
        closed however this ends, cancellation included.

        Args:
            authorization_url: The provider's authorization endpoint.
            token_url: The provider's token endpoint.
            open_browser: Called (sync or async) with the URL to open; the
                system browser (``webbrowser.open``) by default. The URL is
                also printed on stderr, for a browser on another screen.
            port: The port to listen on; 0 picks a free one.
            timeout: Seconds to wait for the user; None waits forever.
            redirect_path: The callback's path.
            authorization_params: Extra parameters of the authorization request
                (``prompt``, ``resource``, ...).
            issuer: The provider's issuer; a callback with another ``iss``
                (RFC 9207, a mix-up attack) raises :class:`IssuerMismatchError`.
            require_iss: Also refuse a callback without ``iss`` (for providers
                whose metadata says they always send it).
            **fetch_token_kwargs: For :meth:`fetch_token` (``client_secret``, ...).

        Returns:
            The token, which the session now holds.

        Raises:
            CallbackStateError: A callback came back with the wrong state.
            LoginDeniedError: The user refused (``access_denied``).
            AuthorizationError: The provider answered another error.
            LoginTimeoutError: Nobody came back within ``timeout``.
            IssuerMismatchError: The callback's ``iss`` is not ``issuer``.
        """
        from .native.loopback import login_with_browser

        return await login_with_browser(
            self,
            authorization_url,
            token_url,
            open_browser=open_browser,
            port=port,
            timeout=timeout,
            redirect_path=redirect_path,
            authorization_params=authorization_params,
            issuer=issuer,
            require_iss=require_iss,
            **fetch_token_kwargs,
        )

    async def device_login(
        self,
        device_authorization_url: str,
        token_url: str,
        *,
        on_code: DeviceCodeHandler | None = None,
        timeout: float | None = None,
        resource: Resource | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        **kwargs: Any,
    ) -> Token:
        """Log the user in with a code typed on another device (RFC 8628).

        Asks for a device code, calls ``on_code(user_code, verification_uri,
        verification_uri_complete, expires_in)`` once, then polls the token
        endpoint at the provider's ``interval`` (5 s by default; 5 s more after
        each ``slow_down``) until the user approves. Cancelling the call stops
        the polling at once.

        Args:
            device_authorization_url: The ``device_authorization_endpoint``.
            token_url: The token endpoint.
            on_code: Shows the code (sync or async); by default it is printed
                on stderr, with a QR code when ``segno`` is installed.
            timeout: Give up after this many seconds (the code's own expiry
                always applies).
            resource: The API (one URI, or a list) the token is for (RFC 8707).
            clock: Monotonic seconds (tests pass a fake one).
            sleep: Waits between polls (tests pass a fake one).
            **kwargs: Extra parameters of the device authorization request.

        Returns:
            The token, which the session now holds.

        Raises:
            LoginDeniedError: The user refused (``access_denied``).
            DeviceCodeExpiredError: The code expired (``expired_token``).
            LoginTimeoutError: ``timeout`` passed.
            AuthorizationError: The device endpoint answered another error.
        """
        from .native.device import device_login

        return await device_login(
            self,
            device_authorization_url,
            token_url,
            on_code=on_code,
            timeout=timeout,
            resource=resource,
            clock=clock,
            sleep=sleep,
            **kwargs,
        )

    async def exchange_token(
        self,
        token_url: str,
        *,
        subject_token: str,
        subject_token_type: str,
        actor_token: str | None = None,
        actor_token_type: str | None = None,
        resource: Resource | None = None,
        audience: str | list[str] | None = None,
        scope: str | list[str] | tuple[str, ...] | None = None,
        requested_token_type: str | None = None,
        timeout: float | aiohttp.ClientTimeout | None = None,
    ) -> Token:
        """Exchange a token for another one (RFC 8693), e.g. one for a downstream API.

        The client authenticates as for :meth:`fetch_token`. The session keeps
        its own token: the issued one is returned.

        Args:
            token_url: The token endpoint.
            subject_token: The token to exchange.
            subject_token_type: Its type, e.g.
                ``"urn:ietf:params:oauth:token-type:access_token"``.
            actor_token: A token for the party acting on the subject's behalf.
            actor_token_type: Its type (required with ``actor_token``).
            resource: The target API (one URI, or a list).
            audience: The target service's logical name(s).
            scope: The scopes wanted.
            requested_token_type: The type of token wanted.
            timeout: Total deadline in seconds (30 by default).

        Returns:
            The answer: ``access_token``, ``issued_token_type``, ``token_type``...

        Raises:
            oauthlib.oauth2.OAuth2Error: The provider refused (``invalid_target`` ...).
            TokenResponseError: The answer is no token exchange answer.
        """
        from .token_exchange import exchange_token

        return await exchange_token(
            self,
            token_url,
            subject_token=subject_token,
            subject_token_type=subject_token_type,
            actor_token=actor_token,
            actor_token_type=actor_token_type,
            resource=resource,
            audience=audience,
            scope=scope,
            requested_token_type=requested_token_type,
            timeout=timeout,
        )

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
