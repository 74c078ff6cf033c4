"""``SessionTokenStore``: tokens in Quart's (signed cookie) session, the default.

Nothing to set up, and nothing on the server; but the cookie is only signed,
not encrypted, so the user can read their own tokens, and browsers keep at
most about 4 KB per cookie. This store therefore keeps only the fields a
client needs (it drops an ``id_token`` and other large extras) and checks
the size of the cookie it will produce: rather than let a browser drop the
cookie silently, it raises :class:`~quart_oauthlib.SessionCookieTooLargeError`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from quart import session

from ..errors import SessionCookieTooLargeError
from ._cookie import MAX_COOKIE_BYTES, session_cookie_size
from .base import BaseTokenStore, Token

__all__ = ["SessionTokenStore"]

#: Token fields kept whatever their size.
ESSENTIAL_FIELDS: Final = frozenset(
    {
        "access_token",
        "token_type",
        "refresh_token",
        "expires_at",
        "scope",
        "oauth_token",
        "oauth_token_secret",
    }
)
#: Other fields are kept when their JSON is at most this long (user ids, names).
MAX_EXTRA_FIELD_CHARS: Final = 100
SESSION_KEY: Final = "_oauth_tokens"


class SessionTokenStore(BaseTokenStore):
    """Keeps each provider's token in the browser session, tagged with its user.

    A token is returned only for the ``user_id`` it was stored for, so when
    one user signs out of the app and another signs in on the same browser,
    the second never gets the first one's tokens.

    Each request carries its own copy of the cookie, so there is no lease
    across worker processes: see "Refreshing with the session store" in the
    storage docs for what that means with refresh tokens that rotate.

    Args:
        max_cookie_bytes: The largest session cookie (name and value) to allow.
    """

    request_scoped = True

    def __init__(self, max_cookie_bytes: int = MAX_COOKIE_BYTES):
        self.max_cookie_bytes = max_cookie_bytes

    async def get(self, provider: str, user_id: str) -> Token | None:
        """The token stored in this session for ``provider`` and ``user_id``, or None."""
        return self.get_now(provider, user_id)

    def get_now(self, provider: str, user_id: str) -> Token | None:
        """As :meth:`get`, without awaiting: the session cookie is already read.

        ``oauth.<name>.token`` and ``.authorized`` use it to answer in a view
        that loaded nothing.
        """
        browser_session = session._get_current_object()  # type: ignore[attr-defined]  # LocalProxy
        entry = browser_session.get(SESSION_KEY, {}).get(provider)
        if not isinstance(entry, dict) or entry.get("u") != user_id:
            return None
        token = entry.get("t")
        return dict(token) if isinstance(token, dict) else None

    async def set(self, provider: str, user_id: str, token: Mapping[str, Any]) -> None:
        """Store the needed fields of ``token``; fail if the cookie would be too large."""
        tokens = dict(session.get(SESSION_KEY, {}))
        tokens[provider] = {"u": user_id, "t": slim_token(token)}
        self._check_size(provider, tokens)
        session[SESSION_KEY] = tokens

    async def delete(self, provider: str, user_id: str) -> None:
        """Forget the token for ``provider`` (whichever user it belonged to)."""
        tokens = dict(session.get(SESSION_KEY, {}))
        if tokens.pop(provider, None) is not None:
            if tokens:
                session[SESSION_KEY] = tokens
            else:
                session.pop(SESSION_KEY, None)

    def _check_size(self, provider: str, tokens: dict[str, Any]) -> None:
        size = session_cookie_size({**session, SESSION_KEY: tokens})
        if size is not None and size > self.max_cookie_bytes:
            raise SessionCookieTooLargeError(
                f"Storing the token of provider {provider!r} would make the session cookie "
                f"{size} bytes, more than the {self.max_cookie_bytes} browsers reliably keep "
                "(they drop larger cookies silently, logging the user out). Use a server-side "
                "token store: QuartOAuth(store=...) or OAUTH_TOKEN_STORE."
            )


def slim_token(token: Mapping[str, Any]) -> Token:
    """The fields of ``token`` worth keeping in a cookie."""
    return {key: value for key, value in token.items() if key in ESSENTIAL_FIELDS or _short(value)}


def _short(value: Any) -> bool:
    try:
        return len(json.dumps(value)) <= MAX_EXTRA_FIELD_CHARS
    except (TypeError, ValueError):
        return False
