"""One-line notices at the top of the next page, driven by the extension's signals.

``oauth_authorized`` fires after a successful sign-in and ``token_updated``
after any refresh, automatic or not; receivers connected with ``sender=app``
hear only this app.
"""

from __future__ import annotations

from typing import Any

from quart import Quart, flash

from quart_oauthlib import oauth_authorized, token_updated

from .presenters import TokenSummary
from .settings import LABELS

__all__ = ["connect_notices"]


async def signed_in(sender: Quart, *, provider: str, token: dict[str, Any], **_: Any) -> None:
    """After a sign-in: say so. Returning None lets the extension store the token."""
    await flash(f"Signed in with {LABELS.get(provider, provider)}.", "success")


async def token_refreshed(sender: Quart, *, provider: str, token: dict[str, Any], **_: Any) -> None:
    """After a refresh: say when the new access token expires."""
    summary = TokenSummary.of(token)
    await flash(
        f"Got a new access token from {LABELS.get(provider, provider)}; "
        f"it expires {summary.expires_in_words}.",
        "info",
    )


def connect_notices(app: Quart) -> None:
    """Flash the notices above in ``app``."""
    oauth_authorized.connect(signed_in, sender=app)
    token_updated.connect(token_refreshed, sender=app)
