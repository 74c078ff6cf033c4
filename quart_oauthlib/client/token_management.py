"""Token revocation (RFC 7009) and introspection (RFC 7662) for an :class:`OAuth2Session`.

Both authenticate the client the way token requests do (HTTP Basic with the
client secret, or ``client_id`` in the body for a public client), and go
through :func:`._token_endpoint.post_form`: a total deadline, a size cap, no
redirects followed with our credentials. Protocol errors the endpoint answers
(``invalid_client``, ``unsupported_token_type`` ...) raise oauthlib's classes.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, Protocol

import aiohttp
from oauthlib.oauth2.rfc6749.errors import OAuth2Error, raise_from_error

from ..errors import TokenResponseError
from ._token_endpoint import TokenResponse, describe_body, post_form
from ._transport import (
    BasicCredentials,
    authorization_from,
    basic_authorization,
    require_secure_transport,
    ssl_option,
)

if TYPE_CHECKING:
    from .client_auth import ClientAuthentication


class OAuth2Session(Protocol):
    """What these calls need of a session (``OAuth2Session`` has it all).

    A protocol rather than the class itself, so that the session's module can
    offer ``revoke_token`` and ``introspect_token`` without an import circle.
    """

    @property
    def token(self) -> Mapping[str, Any]: ...

    @property
    def client_id(self) -> str | None: ...

    @property
    def client_secret(self) -> str | None: ...

    @property
    def http(self) -> aiohttp.ClientSession: ...

    @property
    def client_authentication(self) -> ClientAuthentication | None: ...

    async def _post_to_provider(
        self,
        method: str,
        url: str,
        *,
        form: dict[str, str],
        headers: dict[str, str],
        as_query: bool = False,
        timeout: float | aiohttp.ClientTimeout | None = None,
        request_options: dict[str, Any] | None = None,
        dpop: bool = True,
    ) -> TokenResponse: ...


__all__ = ["TokenTypeHint", "introspect_token", "revoke_token"]

TokenTypeHint = Literal["access_token", "refresh_token"]


async def revoke_token(
    session: OAuth2Session,
    url: str,
    token: str | None = None,
    token_type_hint: TokenTypeHint | str | None = "access_token",  # noqa: S107 -- RFC 7009 name
    *,
    auth: BasicCredentials | None = None,
    timeout: float | aiohttp.ClientTimeout | None = None,
    ssl_context: ssl.SSLContext | None = None,
    **kwargs: str,
) -> None:
    """Ask the provider to revoke a token (RFC 7009).

    The session's own token is left as it is: drop it yourself when you
    revoke it.

    Args:
        session: The session whose client credentials authenticate the call.
        url: The ``revocation_endpoint`` (https).
        token: The token to revoke; by default the session's access token, or
            its refresh token when ``token_type_hint`` is ``"refresh_token"``.
        token_type_hint: Sent as is; None to send no hint.
        auth: Client credentials for HTTP Basic, instead of the session's.
        timeout: Total deadline in seconds (10 by default).
        ssl_context: An ``ssl.SSLContext`` for this request.
        **kwargs: Extra form parameters; with ``client_secret=`` the client
            authenticates in the form (``client_secret_post``) instead of Basic.

    Raises:
        ValueError: There is no token to revoke.
        oauthlib.oauth2.OAuth2Error: The endpoint answered a protocol error
            (``unsupported_token_type``, ``invalid_client`` ...).
        TokenResponseError: Any other non-200 answer.
    """
    response = await _call(session, url, token, token_type_hint, auth, timeout, ssl_context, kwargs)
    # RFC 7009 §2.2: a 200 means revoked, or already invalid; the body is ignored.
    _raise_for_error(response, "revocation")


async def introspect_token(
    session: OAuth2Session,
    url: str,
    token: str | None = None,
    token_type_hint: TokenTypeHint | str | None = None,
    *,
    auth: BasicCredentials | None = None,
    timeout: float | aiohttp.ClientTimeout | None = None,
    ssl_context: ssl.SSLContext | None = None,
    **kwargs: str,
) -> dict[str, Any]:
    """Ask the provider about a token (RFC 7662).

    Args:
        session: The session whose client credentials authenticate the call.
        url: The ``introspection_endpoint`` (https).
        token: The token to ask about; by default the session's access token.
        token_type_hint: An optional hint; None sends none.
        auth: Client credentials for HTTP Basic, instead of the session's.
        timeout: Total deadline in seconds (10 by default).
        ssl_context: An ``ssl.SSLContext`` for this request.
        **kwargs: Extra form parameters; with ``client_secret=`` the client
            authenticates in the form (``client_secret_post``) instead of Basic.

    Returns:
        The introspection answer. ``answer["active"]`` is a bool; when it is
        False nothing else should be trusted (RFC 7662 §2.2).

    Raises:
        ValueError: There is no token to ask about.
        oauthlib.oauth2.OAuth2Error: The endpoint answered a protocol error.
        TokenResponseError: A non-200 answer, or one without a boolean ``active``.
    """
    response = await _call(session, url, token, token_type_hint, auth, timeout, ssl_context, kwargs)
    _raise_for_error(response, "introspection")
    try:
        answer = json.loads(response.text)
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or not isinstance(answer.get("active"), bool):
        raise TokenResponseError(
            "The introspection endpoint answered without a boolean active: "
            f"{describe_body(response)}",
            status=response.status,
            content_type=response.content_type,
        )
    return answer


async def _call(
    session: OAuth2Session,
    url: str,
    token: str | None,
    token_type_hint: str | None,
    auth: BasicCredentials | None,
    timeout: float | aiohttp.ClientTimeout | None,
    ssl_context: ssl.SSLContext | None,
    extra: dict[str, str],
) -> TokenResponse:
    require_secure_transport(url)
    if token is None:
        stored = session.token.get(
            "refresh_token" if token_type_hint == "refresh_token" else "access_token"
        )
        token = stored if isinstance(stored, str) else None
    if not token:
        raise ValueError("No token: pass token= or set a token on the session.")
    form = {**extra, "token": token}
    if token_type_hint:
        form["token_type_hint"] = token_type_hint
    headers = {"Accept": "application/json"}
    options: dict[str, Any] = {}
    if ssl_context is not None:
        options["ssl"] = ssl_option(ssl_context=ssl_context)
    if session.client_authentication is not None and auth is None:
        # token_endpoint_auth_method: the same authentication as every provider call.
        return await session._post_to_provider(  # noqa: SLF001 -- the session's own helper
            "POST",
            url,
            form=form,
            headers=headers,
            timeout=timeout,
            request_options=options,
            dpop=False,
        )
    authorization = authorization_from(auth)
    # One authentication method only (RFC 6749 §2.3): a client_secret in the
    # form (client_secret_post) means no Basic header.
    if (
        authorization is None
        and session.client_id
        and session.client_secret
        and "client_secret" not in extra
    ):
        authorization = basic_authorization(
            session.client_id, session.client_secret, form_encode=True
        )
    if authorization is not None:
        headers["Authorization"] = authorization
    elif session.client_id:
        form.setdefault("client_id", session.client_id)  # a public client identifies itself
    return await post_form(
        session.http,
        "POST",
        url,
        form=form,
        headers=headers,
        as_query=False,
        timeout=timeout,
        request_options=options,
    )


def _raise_for_error(response: TokenResponse, endpoint: str) -> None:
    try:
        params = response.json()
    except ValueError:
        params = None
    if isinstance(params, dict) and isinstance(params.get("error"), str):
        try:
            raise_from_error(params["error"], params)
        except OAuth2Error as exc:
            exc.status_code = response.status
            raise
    if response.status != 200:
        raise TokenResponseError(
            f"The {endpoint} endpoint answered status {response.status} with "
            f"{response.content_type or 'no content type'}: {describe_body(response)}",
            status=response.status,
            content_type=response.content_type,
        )
