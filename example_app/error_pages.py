"""Friendly pages for everything that can go wrong with a sign-in or an API call.

The extension raises a :class:`~quart_oauthlib.CallbackError` subclass when a
login cannot complete (after sending ``oauth_error``); its ``description`` is
written to be shown, so these pages show it, with a title and advice for each kind.
Pages that do not exist (404) and wrong methods (405, such as a ``GET`` of the
``POST``-only sign-out URL) get pages in the app's look too, not Werkzeug's.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass

import aiohttp
from quart import Quart, Response, current_app, render_template, request, session, url_for
from quart.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from quart_oauthlib import (
    AuthorizationDeniedError,
    CallbackError,
    FlowExpiredError,
    ProviderError,
    StateMismatchError,
    TokenExchangeError,
    TokenRefreshError,
    oauth_error,
)

from .settings import LABELS

__all__ = ["TokenRejectedError", "install_error_pages"]

log = logging.getLogger(__name__)

#: Session key: the sign-ins this browser's user answered "no" to, newest last, as
#: ``[state digest, provider's error code]`` pairs (digests: the state stays unguessable).
_REFUSED = "example_refused_logins"
_REFUSED_KEPT = 4
_LOGIN_PATH = re.compile(r"/login/(?P<name>[^/]+)(?:/authorized)?/?$")


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
    """A title and what to do, for an error page; ``detail`` replaces the error's own."""

    title: str
    advice: str
    detail: str | None = None


def advice_for(error: CallbackError, refused_as: str | None = None) -> Advice:
    """What to tell the user about a failed sign-in.

    Args:
        error: Why it failed.
        refused_as: The provider's error code, if this browser already brought back
            a refusal of the same sign-in (see :func:`remember_refusal`).
    """
    if isinstance(error, StateMismatchError) and refused_as is not None:
        # "Deny", Back, "Allow": the provider may then issue a code for a sign-in the
        # app already closed as refused. The library only knows the state was used.
        label = LABELS.get(error.provider, error.provider)
        return Advice(
            "You already declined this sign-in",
            "Your first answer to this sign-in was no, so nothing was shared and a later "
            "answer to it does not count. If you changed your mind, start a new sign-in.",
            f"{label} first answered this sign-in with {refused_as!r}.",
        )
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
    if _provider_unreachable(error):
        return Advice(
            "The provider could not be reached",
            "It may be down or restarting. Wait a moment and try again.",
        )
    return Advice("The sign-in did not complete", "Start it again from this page.")


def _provider_unreachable(error: CallbackError) -> bool:
    """Whether the sign-in failed because the provider could not be reached at all."""
    if isinstance(error, TokenExchangeError) and (error.code or 400) >= 500:
        return True
    # A pushed login (PAR) calls the provider before the browser goes anywhere: its
    # discovery or push may fail to connect, which the cause chain tells.
    cause = error.__cause__
    while cause is not None:
        if isinstance(cause, aiohttp.ClientConnectionError | TimeoutError):
            return True
        cause = cause.__cause__
    return False


async def login_failed(error: CallbackError) -> ResponseReturnValue:
    """The page for a sign-in that could not complete."""
    advice = advice_for(error, refused_as=_earlier_refusal(await _callback_state()))
    page = await render_template(
        "login_error.html", provider=error.provider, error=error, advice=advice
    )
    return page, error.code or 400


async def remember_refusal(sender: Quart, *, exception: CallbackError, **_: object) -> None:
    """``oauth_error`` receiver: note a sign-in the provider came back from with a refusal.

    Returning None lets the extension go on to raise the error (and so show our page).
    """
    state = await _callback_state()
    if not isinstance(exception, AuthorizationDeniedError) or not state:
        return
    refused = [pair for pair in session.get(_REFUSED) or [] if isinstance(pair, list)]
    refused.append([_digest(state), exception.error])
    session[_REFUSED] = refused[-_REFUSED_KEPT:]


def _earlier_refusal(state: str | None) -> str | None:
    """The error code this browser brought back for ``state`` before, if any."""
    if not state:
        return None
    digest = _digest(state)
    for pair in session.get(_REFUSED) or []:
        if isinstance(pair, list) and len(pair) == 2 and pair[0] == digest:
            return str(pair[1])
    return None


async def _callback_state() -> str | None:
    """The ``state`` of the current callback (query, or form for ``form_post``)."""
    state = request.args.get("state")
    if state is None and request.method == "POST":
        state = (await request.form).get("state")
    return state


def _digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()[:16]


async def not_found(error: HTTPException) -> ResponseReturnValue:
    """The app's own 404 page; under ``/login/`` it names the providers there are."""
    match = _LOGIN_PATH.search(request.path)
    configured = list(current_app.config["OAUTH_PROVIDERS"])
    unknown = match["name"] if match and match["name"] not in configured else None
    page = await render_template(
        "not_found.html", path=request.path, unknown_provider=unknown, providers=configured
    )
    return _with_headers_of(error, Response(page, status=404))


async def method_not_allowed(error: HTTPException) -> ResponseReturnValue:
    """The app's own 405 page; a ``GET`` of a sign-out URL gets the sign-out button."""
    sign_out_of = next(
        (
            name
            for name in current_app.config["OAUTH_PROVIDERS"]
            if request.path == url_for(f"{name}.logout")
        ),
        None,
    )
    page = await render_template(
        "method_not_allowed.html",
        path=request.path,
        method=request.method,
        sign_out_of=sign_out_of,
    )
    return _with_headers_of(error, Response(page, status=405))


def _with_headers_of(error: HTTPException, response: Response) -> Response:
    """``response`` with the error's headers (a 405's ``Allow``), our content type kept."""
    for key, value in error.get_headers():
        if key.lower() != "content-type":
            response.headers[key] = value
    return response


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
    app.register_error_handler(404, not_found)
    app.register_error_handler(405, method_not_allowed)
    app.register_error_handler(CallbackError, login_failed)
    oauth_error.connect(remember_refusal, sender=app)
    app.register_error_handler(TokenRejectedError, token_rejected)
    # A refresh that failed for a reason other than a dead grant (the network, say):
    # the extension itself answers ReauthorizationRequiredError, a subclass, with a login.
    for error in (TokenRefreshError, ProviderError, aiohttp.ClientError, TimeoutError):
        app.register_error_handler(error, provider_unavailable)
