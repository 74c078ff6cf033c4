"""Friendly pages for everything that can go wrong with a sign-in or an API call.

The extension raises a :class:`~quart_oauthlib.CallbackError` subclass when a
login cannot complete (after sending ``oauth_error``); its ``description`` is
written to be shown, so these pages show it, with a title and advice for each kind.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import aiohttp
from quart import Quart, render_template
from quart.typing import ResponseReturnValue

from quart_oauthlib import (
    AuthorizationDeniedError,
    CallbackError,
    FlowExpiredError,
    ProviderError,
    StateMismatchError,
    TokenExchangeError,
    TokenRefreshError,
)

__all__ = ["TokenRejectedError", "install_error_pages"]

log = logging.getLogger(__name__)


class TokenRejectedError(Exception):
    """The provider refused the user's token (revoked, expired for good, or replayed).

    Attributes:
        provider: The provider's name.
        reason: What happened, for the page (never the token).
    """

    def __init__(self, provider: str, reason: str) -> None:
        super().__init__(f"{provider}: {reason}")
        self.provider = provider
        self.reason = reason


@dataclass(frozen=True)
class Advice:
    """A title and what to do, for an error page."""

    title: str
    advice: str


def advice_for(error: CallbackError) -> Advice:
    """What to tell the user about a failed sign-in."""
    if isinstance(error, AuthorizationDeniedError) and error.error == "access_denied":
        return Advice(
            "You chose not to sign in",
            "No problem: nothing was shared with this app. You can try again any time.",
        )
    if isinstance(error, AuthorizationDeniedError):
        return Advice(
            "The provider refused the sign-in",
            "This usually means the app's registration with the provider needs a fix.",
        )
    if isinstance(error, StateMismatchError):
        return Advice(
            "This sign-in link is not valid here",
            "It was already used, started in another browser or tab, or your browser "
            "blocked this site's cookie. Start the sign-in again from this page.",
        )
    if isinstance(error, FlowExpiredError):
        return Advice("The sign-in took too long", "Start it again; it only takes a moment.")
    if isinstance(error, TokenExchangeError) and (error.code or 400) >= 500:
        return Advice(
            "The provider could not be reached",
            "It may be down or restarting. Wait a moment and try again.",
        )
    return Advice("The sign-in did not complete", "Start it again from this page.")


async def login_failed(error: CallbackError) -> ResponseReturnValue:
    """The page for a sign-in that could not complete."""
    page = await render_template(
        "login_error.html", provider=error.provider, error=error, advice=advice_for(error)
    )
    return page, error.code or 400


async def token_rejected(error: TokenRejectedError) -> ResponseReturnValue:
    """The page for a token the provider no longer accepts: sign in again."""
    page = await render_template("token_rejected.html", provider=error.provider, error=error)
    return page, 401


async def provider_unavailable(error: Exception) -> ResponseReturnValue:
    """The page for a provider that is down, or answered something unusable."""
    # The type and status say enough to debug; the message may quote the provider.
    status = getattr(error, "status", None)
    log.warning("A provider call failed: %s (status %s).", type(error).__name__, status)
    page = await render_template("provider_error.html", status=status)
    return page, 502


def install_error_pages(app: Quart) -> None:
    """Register the friendly error pages on ``app``."""
    app.register_error_handler(CallbackError, login_failed)
    app.register_error_handler(TokenRejectedError, token_rejected)
    # A refresh that failed for a reason other than a dead grant (the network, say):
    # the extension itself answers ReauthorizationRequiredError, a subclass, with a login.
    for error in (TokenRefreshError, ProviderError, aiohttp.ClientError, TimeoutError):
        app.register_error_handler(error, provider_unavailable)
