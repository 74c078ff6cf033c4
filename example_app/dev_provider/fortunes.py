"""The development provider's API: fortune cookies, so there is something to call."""

from __future__ import annotations

import secrets
import time
from typing import Any

from .users import DevUser

__all__ = ["fortune_for"]

_FORTUNES = (
    "A refresh token saved is a login earned.",
    "Your next deploy will be boring, in the best way.",
    "The bug you seek is in the code you trust.",
    "Today you will read an RFC, and it will be shorter than you feared.",
    "State parameters protect those who check them.",
    "A short-lived token is a friend who never overstays.",
    "The cache you forgot to invalidate remembers you.",
    "Good names are the documentation nobody has to update.",
    "You will find the missing await on the first try.",
    "PKCE today keeps the interceptor away.",
    "Someone will thank you for the error page you wrote.",
    "The test that failed once will tell you something true.",
)


def fortune_for(user: DevUser) -> dict[str, Any]:
    """A fortune cookie for ``user``: a new one on every call."""
    return {
        "for": user.display_name,
        "fortune": secrets.choice(_FORTUNES),
        "lucky_number": secrets.randbelow(99) + 1,
        "baked_at": int(time.time()),
    }
