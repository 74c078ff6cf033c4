"""Facebook: old Graph API versions answer the token request as a form.

Before Graph API v2.3, ``/oauth/access_token`` answered
``access_token=...&expires=5183999`` with ``Content-Type: text/plain``: a form
instead of JSON (RFC 6749 §5.1), ``expires`` instead of ``expires_in``, and no
``token_type``. Without the fix the token parses, but its lifetime is lost, so
an expired token would be sent and never refreshed. Newer versions answer
JSON, which is left untouched.

requests-oauthlib's fix only acted when the header said exactly ``text/plain``
with status 200; this one reads any answer whose body is a form holding an
``access_token``, whatever (or whether any) content type was sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from .._token_endpoint import TokenResponse
from ._common import json_object, media_type, replace_body

if TYPE_CHECKING:
    from ..oauth2_session import OAuth2Session


def _form_to_json(response: TokenResponse) -> TokenResponse:
    if media_type(response) == "application/json" or json_object(response) is not None:
        return response
    try:
        pairs = parse_qsl(response.text.strip(), keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return response  # not a form either: let the session report the answer
    token: dict[str, Any] = dict(pairs)
    if "access_token" not in token:
        return response
    expires = token.get("expires")
    if expires is not None and "expires_in" not in token:
        token["expires_in"] = int(expires) if expires.isdigit() else expires
    token.setdefault("token_type", "Bearer")
    return replace_body(response, token)


def facebook_compliance_fix(session: OAuth2Session) -> OAuth2Session:
    """Accept Facebook's form-encoded token answers, keeping their ``expires``.

    Returns:
        ``session``, with the hook registered.
    """
    session.register_compliance_hook("access_token_response", _form_to_json)
    return session
