"""Weibo: no ``token_type`` in token answers, and the token goes in the query.

Weibo's ``https://api.weibo.com/oauth2/access_token`` answers
``{"access_token", "expires_in", "remind_in", "uid"}`` without RFC 6749's
``token_type``, and its API reads the token from an ``access_token`` query
parameter (https://open.weibo.com/wiki/Oauth2/access_token), not from an
``Authorization: Bearer`` header.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._common import add_missing_token_type

if TYPE_CHECKING:
    from ..oauth2_session import OAuth2Session


def weibo_compliance_fix(session: OAuth2Session) -> OAuth2Session:
    """Add Weibo's missing ``token_type`` and send the token as a query parameter.

    Returns:
        ``session``, with the hook registered and query placement set.
    """
    session._client.default_token_placement = "query"
    # The session derives how to send the token when a token is set; set the
    # current one again so that a token given before the fix follows the new
    # placement too.
    session.token = session.token
    session.register_compliance_hook("access_token_response", add_missing_token_type)
    return session
