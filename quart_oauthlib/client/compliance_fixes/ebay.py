"""eBay: token answers name their token type in prose.

eBay answers ``"token_type": "User Access Token"`` (authorization code grant
and refresh) or ``"Application Access Token"`` (client credentials), see
https://developer.ebay.com/api-docs/static/oauth-auth-code-grant-request.html
and https://developer.ebay.com/api-docs/static/oauth-client-credentials-grant.html.
Both are bearer tokens, sent as ``Authorization: Bearer``; the session would
otherwise reject the unknown type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._token_endpoint import TokenResponse
from ._common import json_object, on_token_responses, replace_body

if TYPE_CHECKING:
    from ..oauth2_session import OAuth2Session

_EBAY_BEARER_TYPES = frozenset({"application access token", "user access token"})


def _bearer_token_type(response: TokenResponse) -> TokenResponse:
    body = json_object(response)
    token_type = body.get("token_type") if body is not None else None
    if body is None or not isinstance(token_type, str):
        return response
    if token_type.strip().lower() not in _EBAY_BEARER_TYPES:
        return response
    body["token_type"] = "Bearer"
    return replace_body(response, body)


def ebay_compliance_fix(session: OAuth2Session) -> OAuth2Session:
    """Read eBay's "User/Application Access Token" types as ``Bearer``.

    Returns:
        ``session``, with the hooks registered.
    """
    on_token_responses(session, _bearer_token_type)
    return session
