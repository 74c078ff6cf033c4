"""What the pages show, made from what providers answer: profiles and token summaries.

Providers name the same things differently (GitHub's ``login`` and
``avatar_url`` are OpenID Connect's ``preferred_username`` and ``picture``),
so a :class:`Profile` picks whichever is there.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["Profile", "TokenSummary"]

#: Token fields whose values are credentials: the token page never shows them.
_SECRET_FIELDS = frozenset({"access_token", "refresh_token", "id_token", "oauth_token_secret"})


@dataclass(frozen=True)
class Profile:
    """Who the user is, as far as the provider's userinfo says."""

    name: str
    username: str | None
    email: str | None
    picture: str | None

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Profile:
        """A profile from OpenID Connect claims or a provider's own user object."""
        username = _first_text(claims, "preferred_username", "login", "username", "screen_name")
        name = _first_text(claims, "name", "display_name") or username or "(no name given)"
        picture = _first_text(claims, "picture", "avatar_url", "profile_image_url")
        return cls(name, username, _first_text(claims, "email"), picture)


@dataclass(frozen=True)
class TokenSummary:
    """What can safely be shown about a token: never the token itself.

    Attributes:
        token_type: Usually ``"Bearer"``.
        scopes: What the provider granted.
        expires_at: When the access token expires, if the provider said.
        has_refresh_token: Whether a new access token can be had without the user.
        other_fields: Names of the other fields the provider sent.
    """

    token_type: str
    scopes: tuple[str, ...]
    expires_at: datetime | None
    has_refresh_token: bool
    other_fields: tuple[str, ...]

    @classmethod
    def of(cls, token: Mapping[str, Any]) -> TokenSummary:
        """The summary of ``token`` (a token dict as the extension stores it)."""
        scope = token.get("scope") or ()
        scopes = tuple(scope.replace(",", " ").split() if isinstance(scope, str) else scope)
        expires_at = token.get("expires_at")
        when = (
            datetime.fromtimestamp(float(expires_at), tz=UTC)
            if isinstance(expires_at, int | float)
            else None
        )
        known = {"token_type", "scope", "expires_at", "expires_in", *_SECRET_FIELDS}
        return cls(
            token_type=str(token.get("token_type") or "Bearer"),
            scopes=scopes,
            expires_at=when,
            has_refresh_token=bool(token.get("refresh_token")),
            other_fields=tuple(sorted(key for key in token if key not in known)),
        )

    @property
    def seconds_left(self) -> int | None:
        """Seconds until the access token expires (negative once it has)."""
        if self.expires_at is None:
            return None
        return int(self.expires_at.timestamp() - time.time())

    @property
    def expires_in_words(self) -> str:
        """``"in 4 min 12 s"``, ``"2 min 3 s ago"`` or ``"never (as far as we know)"``."""
        left = self.seconds_left
        if left is None:
            return "never (as far as we know)"
        minutes, seconds = divmod(abs(left), 60)
        amount = f"{minutes} min {seconds} s" if minutes else f"{seconds} s"
        return f"in {amount}" if left >= 0 else f"{amount} ago"


def _first_text(claims: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = claims.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None
