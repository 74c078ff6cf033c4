"""The home page: a "Sign in with ..." button for every configured provider."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from quart import Blueprint, current_app, render_template
from quart.typing import ResponseReturnValue

from quart_oauthlib import OpenIDProviderError

from .extensions import oauth
from .settings import LABELS

__all__ = ["home"]

home = Blueprint("home", __name__)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProviderCard:
    """One provider on the home page."""

    name: str
    label: str
    signed_in: bool
    has_api_demo: bool


@home.get("/")
async def index() -> ResponseReturnValue:
    """Every provider, with a sign-in button or, once signed in, links to its pages."""
    demos = current_app.config["EXAMPLE_API_DEMOS"]
    cards = [
        ProviderCard(
            name=name,
            label=LABELS.get(name, name),
            signed_in=await _signed_in(name),
            has_api_demo=name in demos,
        )
        for name in current_app.config["OAUTH_PROVIDERS"]
    ]
    return await render_template("home.html", cards=cards)


async def _signed_in(name: str) -> bool:
    """Whether the user holds a token for ``name``."""
    try:
        return await oauth[name].load_token() is not None
    except OpenIDProviderError as e:
        # Loading the token first discovers the provider's endpoints; a provider that
        # is down must not take the home page with it. Its sign-in button then shows why.
        log.warning("%s cannot be used now: %s", name, e.error)
        return False
