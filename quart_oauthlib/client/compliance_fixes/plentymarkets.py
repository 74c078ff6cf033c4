"""plentymarkets: token answers use camelCase keys.

plentymarkets' REST login (``/rest/login`` and ``/rest/login/refresh``)
answers ``{"tokenType": "Bearer", "expiresIn": 86400, "accessToken": ...,
"refreshToken": ...}`` instead of RFC 6749 §5.1's snake_case names. The fix
renames every key, for first and refreshed tokens (requests-oauthlib's fix
missed refreshes, and required the content type to say JSON).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .._token_endpoint import TokenResponse
from ._common import json_object, on_token_responses, replace_body

if TYPE_CHECKING:
    from ..oauth2_session import OAuth2Session

_WORD_START = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _snake_case(name: str) -> str:
    """``accessToken`` -> ``access_token``; snake_case names are kept."""
    return _WORD_START.sub("_", name).lower()


def _snake_case_keys(response: TokenResponse) -> TokenResponse:
    body = json_object(response)
    if body is None:
        return response
    return replace_body(response, {_snake_case(k): v for k, v in body.items()})


def plentymarkets_compliance_fix(session: OAuth2Session) -> OAuth2Session:
    """Rename plentymarkets' camelCase token fields to RFC 6749's names.

    Returns:
        ``session``, with the hooks registered.
    """
    on_token_responses(session, _snake_case_keys)
    return session
