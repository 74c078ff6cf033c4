"""Users of the development provider: anyone, named by whatever they type.

There are no passwords and no user database: a user is made from the name
typed on the login form, so the same name always gives the same profile.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["CLAIMS_SUPPORTED", "DevUser", "InvalidUserNameError"]

#: Every claim :meth:`DevUser.claims` can give, for the discovery document.
CLAIMS_SUPPORTED = ("sub", "name", "preferred_username", "picture", "email", "email_verified")

# Letters, digits and . _ - : enough for "alice" or "ada.lovelace", and safe to put
# in a URL path (the avatar) and an e-mail address without escaping.
_USER_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")

# Avatar backgrounds, picked by a hash of the name so each user keeps a colour.
_AVATAR_COLOURS = ("#4f46e5", "#0891b2", "#059669", "#d97706", "#dc2626", "#7c3aed", "#db2777")


class InvalidUserNameError(ValueError):
    """The typed user name is empty, too long or has characters we do not accept."""


@dataclass(frozen=True)
class DevUser:
    """A user of the development provider.

    Attributes:
        username: The normalised name typed on the login form.
    """

    username: str

    @classmethod
    def from_login_form(cls, typed: str) -> DevUser:
        """The user for a name typed on the login form (trimmed, lower-cased).

        Raises:
            InvalidUserNameError: It is not 1-32 letters, digits, ``.``, ``_`` or ``-``.
        """
        username = typed.strip().lower()
        if not _USER_NAME.match(username):
            raise InvalidUserNameError(
                "Use 1 to 32 letters, digits, dots, dashes or underscores, starting with a "
                "letter or digit."
            )
        return cls(username)

    @property
    def subject(self) -> str:
        """The stable ``sub`` claim: never reused for another user, never changes."""
        return f"dev-{self.username}"

    @property
    def display_name(self) -> str:
        """``"ada.lovelace"`` becomes ``"Ada Lovelace"``."""
        words = re.split(r"[._-]+", self.username)
        return " ".join(word.capitalize() for word in words if word) or self.username

    @property
    def initials(self) -> str:
        """Up to two initials for the avatar."""
        return "".join(word[0] for word in self.display_name.split()[:2]).upper()

    @property
    def email(self) -> str:
        """An address on ``.test``, a top-level domain reserved so it never delivers mail."""
        return f"{self.username}@dev-provider.test"

    @property
    def avatar_colour(self) -> str:
        """A background colour for the avatar, the same for the same name every time."""
        digest = hashlib.sha256(self.username.encode()).digest()
        return _AVATAR_COLOURS[digest[0] % len(_AVATAR_COLOURS)]

    def claims(self, scopes: list[str], picture_url: str) -> dict[str, Any]:
        """The OpenID Connect standard claims the granted ``scopes`` allow.

        ``sub`` is always there; ``profile`` adds the name and picture,
        ``email`` the address (OpenID Connect Core §5.4).
        """
        claims: dict[str, Any] = {"sub": self.subject}
        if "profile" in scopes:
            claims |= {
                "name": self.display_name,
                "preferred_username": self.username,
                "picture": picture_url,
            }
        if "email" in scopes:
            claims |= {"email": self.email, "email_verified": True}
        return claims
