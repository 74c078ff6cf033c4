"""Instagram: the API wants the token as an ``access_token`` query parameter.

Instagram's APIs (the legacy API, Basic Display, and the Graph endpoints on
``graph.instagram.com``) read the token from ``?access_token=...``, not from
an ``Authorization`` header. The fix adds it to each authorized request's URL,
unless the caller already put an ``access_token`` there (to use another token).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from oauthlib.common import add_params_to_uri

if TYPE_CHECKING:
    from ..oauth2_session import OAuth2Session


def instagram_compliance_fix(session: OAuth2Session) -> OAuth2Session:
    """Put the access token in the query string of every authorized request.

    Returns:
        ``session``, with the hook registered.
    """

    def add_query_token(
        url: str, headers: dict[str, str], data: Any
    ) -> tuple[str, dict[str, str], Any]:
        # Read the token now, not at registration: it may have been refreshed.
        token = session.access_token
        if token and not parse_qs(urlsplit(url).query).get("access_token"):
            url = add_params_to_uri(url, [("access_token", token)])
        return url, headers, data

    session.register_compliance_hook("protected_request", add_query_token)
    return session
