"""The protocol details of OAuth 2 token requests, kept out of the session class:
how the client authenticates, where the code comes from, how an answer becomes a token.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from oauthlib.oauth2 import (
    Client,
    LegacyApplicationClient,
    MismatchingStateError,
    WebApplicationClient,
)
from oauthlib.oauth2.rfc6749.errors import OAuth2Error

from ..errors import TokenResponseError
from ._token_endpoint import DEFAULT_TOKEN_TYPES, TokenResponse, check_answer
from ._transport import BasicCredentials, authorization_from, basic_authorization
from .oauth2_auth import load_token

log = logging.getLogger("quart_oauthlib")

Token = dict[str, Any]


def scope_string(scope: str | list[str] | tuple[str, ...] | None) -> str | None:
    """The scope as oauthlib takes it: one space-separated string."""
    if scope is None or isinstance(scope, str):
        return scope
    return " ".join(scope)


def authorization_code(
    client: Client, state: str | None, code: str | None, authorization_response: str | None
) -> str | None:
    """The code to exchange: given, or parsed from the callback URL with its state checked."""
    if code or not isinstance(client, WebApplicationClient):
        return code
    if authorization_response:
        if state is None:
            raise MismatchingStateError(
                description="No state to check the authorization response against: "
                "pass state= to the session (the one authorization_url() returned)."
            )
        client.parse_request_uri_response(authorization_response, state=state)
        found: str | None = client.code
        return found
    code = client.code
    if not code:
        raise ValueError("Please supply either code or authorization_response parameters.")
    return code


def check_password_grant(client: Client, username: str | None, password: str | None) -> None:
    """The password grant needs both, as requests-oauthlib says."""
    if isinstance(client, LegacyApplicationClient):
        if username is None:
            raise ValueError(
                "`LegacyApplicationClient` requires both the `username` and `password` parameters."
            )
        if password is None:
            raise ValueError(
                "The required parameter `username` was supplied, but `password` was not."
            )


def choose_client_authentication(
    client_id: str | None,
    auth: BasicCredentials | None,
    include_client_id: bool | None,
    client_secret: str | None,
) -> tuple[str | None, bool, bool]:
    """Decide how the client authenticates: HTTP Basic, or id (and secret) in the body.

    A confidential client uses Basic unless told otherwise (RFC 6749 §2.3.1).
    A public client (no secret anywhere) identifies itself with ``client_id``
    in the body (§4.1.3), not with a Basic header holding an empty password.

    Returns:
        The ``Authorization`` value (or None), whether to put ``client_id`` in
        the body, and whether Basic was used (so a refresh can do the same).
    """
    if auth is not None:
        return authorization_from(auth), bool(include_client_id), True
    if include_client_id is None and client_secret is None:
        return None, bool(client_id), False
    if include_client_id is not True and client_id:
        header = basic_authorization(client_id, client_secret or "", form_encode=True)
        return header, False, True
    return None, bool(include_client_id), False


def stored_credentials(
    client_id: str | None, client_secret: str | None, basic: bool, form: dict[str, Any]
) -> str | None:
    """Authenticate a refresh the way the token was fetched, with stored credentials.

    Returns the ``Authorization`` value for Basic; otherwise adds the
    credentials to ``form`` and returns None.
    """
    if client_secret is None:
        # A public client identifies itself in the body (RFC 6749 §3.2.1, §6);
        # without it, a provider cannot tell whose refresh token this is.
        if client_id:
            form.setdefault("client_id", client_id)
        return None
    if basic and client_id:
        return basic_authorization(client_id, client_secret, form_encode=True)
    form.setdefault("client_id", client_id)
    form["client_secret"] = client_secret
    return None


def parse_token(
    client: Client,
    response: TokenResponse,
    scope: str | None,
    token_types: Iterable[str] = DEFAULT_TOKEN_TYPES,
) -> Token:
    """Turn a token endpoint's answer into a token, through the oauthlib client.

    The client's own token is replaced only when the answer holds a usable token
    of one of ``token_types`` (RFC 6749 §7.1: a type the client does not
    understand is refused at the exchange, not at first use).
    """
    check_answer(response, token_types=token_types)
    previous = dict(client.token or {})
    try:
        _parse_into(client, response, scope)
    except (OAuth2Error, Warning):
        load_token(client, previous)
        raise
    except Exception as exc:
        # check_answer refuses the shapes known to break oauthlib; anything else
        # it trips over is still the provider's broken answer, not our bug.
        load_token(client, previous)
        raise TokenResponseError(
            f"The token endpoint's answer could not be read as a token ({type(exc).__name__}).",
            status=response.status,
            content_type=response.content_type,
        ) from exc
    token: Token = dict(client.token)
    granted_scope = token.get("scope")
    if isinstance(granted_scope, list) and len(granted_scope) == 1 and "," in granted_scope[0]:
        token["scope"] = [s for s in granted_scope[0].split(",") if s]  # GitHub's commas
    return token


def _parse_into(client: Client, response: TokenResponse, scope: str | None) -> None:
    try:
        client.parse_request_body_response(response.text, scope=scope)
    except Warning as changed:
        # The provider granted other scopes than asked for. RFC 6749 §3.3
        # allows it; record what was granted instead of failing the login.
        granted = getattr(changed, "token", None)
        if granted is None:
            raise
        log.info("The provider granted a different scope than requested.")
        client.token = granted
        client.populate_token_attributes(granted)
