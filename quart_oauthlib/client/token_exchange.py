"""RFC 8693 token exchange: trade a token for another (narrower, or for another service).

The client authenticates as for its other token requests, and the answer is
checked the same way (a deadline, a size cap, no redirects, oauthlib's errors
for protocol errors). The session's own token is left alone: the exchanged
token is for another audience, and is returned to the caller.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Final

import aiohttp

from ..errors import TokenResponseError
from ._oauth2_grant import choose_client_authentication, scope_string
from ._resource_indicators import Resource, add_to_form, resource_list
from ._token_endpoint import check_answer, post_form
from ._transport import require_secure_transport

if TYPE_CHECKING:
    from ._oauth2_base import OAuth2SessionBase, Token

__all__ = ["ACCESS_TOKEN_TYPE", "TOKEN_EXCHANGE_GRANT", "exchange_token"]

TOKEN_EXCHANGE_GRANT: Final = "urn:ietf:params:oauth:grant-type:token-exchange"
#: RFC 8693 §3 token type identifiers, for ``subject_token_type`` and friends.
ACCESS_TOKEN_TYPE: Final = "urn:ietf:params:oauth:token-type:access_token"
REFRESH_TOKEN_TYPE: Final = "urn:ietf:params:oauth:token-type:refresh_token"
ID_TOKEN_TYPE: Final = "urn:ietf:params:oauth:token-type:id_token"
JWT_TOKEN_TYPE: Final = "urn:ietf:params:oauth:token-type:jwt"
#: RFC 8693 §2.2.1: the ``token_type`` of an issued token that is no access token.
_NOT_APPLICABLE: Final = "N_A"


async def exchange_token(
    session: OAuth2SessionBase,
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
    """Exchange a token at the token endpoint (RFC 8693).

    See :meth:`quart_oauthlib.OAuth2Session.exchange_token`.
    """
    require_secure_transport(token_url)
    if not subject_token or not subject_token_type:
        raise ValueError("Token exchange needs a subject_token and its subject_token_type.")
    if (actor_token is None) != (actor_token_type is None):
        raise ValueError("actor_token and actor_token_type go together (RFC 8693 §2.1).")
    form: dict[str, str] = {
        "grant_type": TOKEN_EXCHANGE_GRANT,
        "subject_token": subject_token,
        "subject_token_type": subject_token_type,
    }
    if actor_token is not None and actor_token_type is not None:
        form["actor_token"] = actor_token
        form["actor_token_type"] = actor_token_type
    if requested_token_type:
        form["requested_token_type"] = requested_token_type
    scope_value = scope_string(scope)
    if scope_value:
        form["scope"] = scope_value
    authorization, include_client_id, _ = choose_client_authentication(
        session.client_id, None, None, session.client_secret
    )
    if include_client_id and session.client_id:
        form["client_id"] = session.client_id  # a public client identifies itself
    headers = {"Accept": "application/json"}
    if authorization:
        headers["Authorization"] = authorization
    audiences = [audience] if isinstance(audience, str) else list(audience or ())
    pairs = add_to_form(form, resource_list(resource))
    pairs.extend(("audience", value) for value in audiences)
    response = await post_form(
        session.http,
        "POST",
        token_url,
        form=pairs,
        headers=headers,
        as_query=False,
        timeout=timeout,
        request_options={},
    )
    check_answer(response, token_types=("Bearer", "DPoP", "MAC", _NOT_APPLICABLE))
    token: Token = json.loads(response.text) if response.content_type.endswith("json") else {}
    if not isinstance(token, dict) or not isinstance(token.get("issued_token_type"), str):
        raise TokenResponseError(
            "The token exchange answer has no issued_token_type (RFC 8693 §2.2.1).",
            status=response.status,
            content_type=response.content_type,
        )
    return token
