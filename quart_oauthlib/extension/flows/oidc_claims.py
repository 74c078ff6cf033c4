"""The few verified ID token claims kept after an OpenID login, in the session.

Never the raw ID token: only the claims an app needs to tell who signed in,
each short, tagged with the user they belong to (as the session token store
does), so that another user signing in on the same browser never sees them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Protocol

from quart import session

__all__ = ["CLAIMS_KEY", "KEPT_CLAIMS", "forget", "remember", "stored_claims"]

#: The session key of the verified ID token claims kept per provider.
CLAIMS_KEY: Final = "_oauth_oidc"
#: The ID token claims kept after a login; the rest (and the raw token) is dropped.
KEPT_CLAIMS: Final = (
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "acr",
    "email",
    "email_verified",
    "name",
    "preferred_username",
)
_MAX_CLAIM_CHARS: Final = 200


class _Users(Protocol):
    """Who the current user is (the app's ``OAuthState``)."""

    async def user_id(self, *, create: bool) -> str | None: ...


async def remember(users: _Users, name: str, claims: Mapping[str, Any]) -> None:
    """Keep the few claims an app needs (never the raw token) in the session."""
    user = await users.user_id(create=True)
    kept = {k: claims[k] for k in KEPT_CLAIMS if k in claims and _small(claims[k])}
    entries = dict(session.get(CLAIMS_KEY) or {})
    entries[name] = {"u": user, "c": kept}
    session[CLAIMS_KEY] = entries


async def stored_claims(users: _Users, name: str) -> dict[str, Any] | None:
    """The claims kept from this user's last login with ``name``, or None."""
    user = await users.user_id(create=False)
    entry = (session.get(CLAIMS_KEY) or {}).get(name)
    if not isinstance(entry, dict) or user is None or entry.get("u") != user:
        return None
    claims = entry.get("c")
    return dict(claims) if isinstance(claims, dict) else None


def forget(name: str) -> None:
    """Drop the claims kept for ``name``."""
    entries = dict(session.get(CLAIMS_KEY) or {})
    if entries.pop(name, None) is not None:
        if entries:
            session[CLAIMS_KEY] = entries
        else:
            session.pop(CLAIMS_KEY, None)


def _small(value: Any) -> bool:
    return len(repr(value)) <= _MAX_CLAIM_CHARS
