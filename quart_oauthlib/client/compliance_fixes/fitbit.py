"""Fitbit: errors come as an ``errors`` list instead of an ``error`` string.

Fitbit answers failed token requests with
``{"errors": [{"errorType": "invalid_grant", "message": "..."}], "success": false}``
(https://dev.fitbit.com/build/reference/web-api/troubleshooting-guide/error-messages/)
instead of RFC 6749 §5.2's ``{"error": ..., "error_description": ...}``.
The fix lifts the first entry, so callers get oauthlib's matching error
(``InvalidGrantError`` for a revoked refresh token) rather than a generic one.

Fitbit's messages quote the rejected token or the ``Authorization`` header
("Refresh token invalid: 1f2e..."), so long words are redacted before the
message becomes an exception's description. requests-oauthlib's fix also
crashed on an empty ``errors`` list or an entry without ``errorType``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .._token_endpoint import TokenResponse
from ._common import json_object, on_token_responses, replace_body

if TYPE_CHECKING:
    from ..oauth2_session import OAuth2Session

# A token, code or credential: a long run without spaces that is not a link.
_SECRET_LIKE = re.compile(r"(?<!\S)(?!https?://)\S{20,}")


def _redact(message: str) -> str:
    return _SECRET_LIKE.sub("[redacted]", message)


def _errors_to_error(response: TokenResponse) -> TokenResponse:
    body = json_object(response)
    if body is None or "error" in body:
        return response
    errors = body.get("errors")
    if not isinstance(errors, list) or not errors:
        return response
    first = errors[0] if isinstance(errors[0], dict) else {}
    body["error"] = str(first.get("errorType") or "invalid_request")
    message = first.get("message")
    if isinstance(message, str) and "error_description" not in body:
        body["error_description"] = _redact(message)
    return replace_body(response, body)


def fitbit_compliance_fix(session: OAuth2Session) -> OAuth2Session:
    """Turn Fitbit's ``errors`` list into an RFC 6749 error, for fetches and refreshes.

    Returns:
        ``session``, with the hooks registered.
    """
    on_token_responses(session, _errors_to_error)
    return session
