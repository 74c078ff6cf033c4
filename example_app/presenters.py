"""What the pages show, made from what the library returns: profiles and token summaries.

The profile page shows :class:`quart_oauthlib.Profile`, the record that
``await oauth[name].profile()`` returns for every provider (OpenID Connect
claims, GitHub's user object, an ID token's claims...); a :class:`ProfileCard`
adds only what the page needs to show it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from quart_oauthlib import Profile

__all__ = ["ProfileCard", "SignInSecurity", "TokenSummary"]

#: Token fields whose values are credentials: the token page never shows them.
_SECRET_FIELDS = frozenset({"access_token", "refresh_token", "id_token", "oauth_token_secret"})


@dataclass(frozen=True)
class ProfileCard:
    """A :class:`~quart_oauthlib.Profile`, ready for the profile page.

    Attributes:
        profile: The normalized profile, as the library returned it.
        display_name: The name, else the e-mail address, else the id.
        email_status: ``"verified"``, ``"not verified"``, or None when the
            provider does not say (or gave no e-mail address).
        avatar_url: The picture, when it is an http(s) URL.
        raw: Everything the provider said, as a plain dict (for the page's JSON).
    """

    profile: Profile
    display_name: str
    email_status: str | None
    avatar_url: str | None
    raw: dict[str, Any]

    @classmethod
    def of(cls, profile: Profile) -> ProfileCard:
        """The card of ``profile``."""
        verified = {True: "verified", False: "not verified", None: None}
        return cls(
            profile=profile,
            display_name=profile.name or profile.email or profile.id,
            email_status=verified[profile.email_verified] if profile.email else None,
            avatar_url=_web_url(profile.avatar_url),
            raw=dict(profile.raw),
        )


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
        known = {"token_type", "scope", "expires_at", "expires_in", "dpop_jkt", *_SECRET_FIELDS}
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


@dataclass(frozen=True)
class SignInSecurity:
    """How the sign-in was made and how the token is held, for the provider pages.

    Attributes:
        token_type: ``"DPoP"`` for a token bound to the app's key (RFC 9449),
            usually ``"Bearer"`` otherwise.
        bound_key: The start of the bound key's SHA-256 thumbprint (RFC 7638),
            or None for a token any holder can use.
        pushed: Whether authorization requests are pushed (PAR, RFC 9126), so
            that the browser's redirect carries only ``client_id`` and
            ``request_uri``: the provider's ``par`` setting, None when it is
            left to the provider's metadata.
    """

    token_type: str
    bound_key: str | None
    pushed: bool | None

    #: Characters of the thumbprint shown: enough to tell keys apart by eye.
    KEY_PREFIX_LENGTH = 12

    @classmethod
    def of(cls, token: Mapping[str, Any], *, pushed: bool | None) -> SignInSecurity:
        """The security of ``token`` (as the extension stores it) and of the sign-in."""
        jkt = token.get("dpop_jkt")
        return cls(
            token_type=str(token.get("token_type") or "Bearer"),
            bound_key=jkt[: cls.KEY_PREFIX_LENGTH] if isinstance(jkt, str) and jkt else None,
            pushed=pushed,
        )

    @property
    def pushed_in_words(self) -> str:
        """``"yes"``, ``"no"``, or ``"when the provider requires it"``."""
        return {True: "yes", False: "no", None: "when the provider requires it"}[self.pushed]


def _web_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL (no ``data:`` or ``javascript:``), else None."""
    if url is None:
        return None
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None
