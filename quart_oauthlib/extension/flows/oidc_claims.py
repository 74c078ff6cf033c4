"""The few verified ID token claims kept after an OpenID login, in the session.

Never the raw ID token: only the claims an app needs to tell who signed in,
each short, tagged with the user they belong to (as the session token store
does), so that another user signing in on the same browser never sees them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Protocol

from quart import session

__all__ = [
    "CLAIMS_KEY",
    "KEPT_CLAIMS",
    "forget",
    "login_claims",
    "remember",
    "replace_claims",
    "stored_claims",
]

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
    "sid",  # the provider's session, named by back-channel logout tokens
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
    entry: dict[str, Any] = {"u": user, "c": kept}
    nonce = claims.get("nonce")
    if isinstance(nonce, str) and _small(nonce):
        entry["n"] = nonce  # a refreshed ID token's nonce must be this one (OIDC Core §12.2)
    entries[name] = entry
    session[CLAIMS_KEY] = entries


async def stored_claims(users: _Users, name: str) -> dict[str, Any] | None:
    """The claims kept from this user's last login with ``name``, or None."""
    user = await users.user_id(create=False)
    entry = (session.get(CLAIMS_KEY) or {}).get(name)
    if not isinstance(entry, dict) or user is None or entry.get("u") != user:
        return None
    claims = entry.get("c")
    return dict(claims) if isinstance(claims, dict) else None


async def login_claims(users: _Users, name: str) -> dict[str, Any] | None:
    """The kept claims with the login's ``nonce``: what a refreshed ID token must match."""
    claims = await stored_claims(users, name)
    if claims is None:
        return None
    nonce = (session.get(CLAIMS_KEY) or {}).get(name, {}).get("n")
    if isinstance(nonce, str):
        claims["nonce"] = nonce
    return claims


async def replace_claims(users: _Users, name: str, claims: Mapping[str, Any]) -> None:
    """Keep the claims of a validated refreshed ID token, when this browser keeps claims."""
    kept = await login_claims(users, name)
    if kept is not None:
        await remember(users, name, {**claims, "nonce": kept.get("nonce")})


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
