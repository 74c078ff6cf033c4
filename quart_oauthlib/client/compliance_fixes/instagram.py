"""Instagram: the API wants the token as an ``access_token`` query parameter.

Instagram's APIs (the legacy API, Basic Display, and the Graph endpoints on
``graph.instagram.com``) read the token from ``?access_token=...``, not from
an ``Authorization`` header. The fix adds it to each authorized request's URL,
unless the caller already put an ``access_token`` there (to use another token).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._common import query_token_hook

if TYPE_CHECKING:
    from ..oauth2_session import OAuth2Session


def instagram_compliance_fix(session: OAuth2Session) -> OAuth2Session:
    """Put the access token in the query string of every authorized request.

    Returns:
        ``session``, with the hook registered.
    """

    session.register_compliance_hook("protected_request", query_token_hook(session, "access_token"))
    return session
