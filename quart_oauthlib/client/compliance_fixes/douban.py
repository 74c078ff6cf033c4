"""Douban: token answers carry no ``token_type``.

Douban's token endpoint (``https://www.douban.com/service/auth2/token``)
answers ``{"access_token", "expires_in", "refresh_token", "douban_user_id"}``
without the ``token_type`` that RFC 6749 §5.1 requires; its API takes the token
as ``Authorization: Bearer``. requests-oauthlib's fix also meant to move the
token to the query string, but set a misspelt attribute
(``session._client_default_token_placement``) that nothing reads, so the
header was used all along, as Douban documents. It also forgot to export the
fix from its package, and only fixed the first answer, not refreshes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._common import add_missing_token_type, on_token_responses

if TYPE_CHECKING:
    from ..oauth2_session import OAuth2Session


def douban_compliance_fix(session: OAuth2Session) -> OAuth2Session:
    """Give Douban's token answers (first and refreshed) the missing ``token_type``.

    Returns:
        ``session``, with the hooks registered.
    """
    on_token_responses(session, add_missing_token_type)
    return session
