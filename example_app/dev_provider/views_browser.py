"""The pages a person sees: sign in (any name, no password), consent, sign out.

The authorization endpoint is here too, because it is a page: it validates the
client's request with oauthlib, makes sure someone is signed in, and asks them
to Allow or Deny. Each request is answered once: coming back to it (the
browser's Back button after "Deny", say) shows what the answer was, rather
than asking again and sending the client a second, contradicting answer.

A pushed request (RFC 9126) arrives as ``client_id`` and ``request_uri``: the
parameters the client pushed stand in for the query string, and the
``request_uri`` is spent by the answer (Allow or Deny).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any, NoReturn
from urllib.parse import urlencode, urlsplit

from oauthlib.common import Request as OAuthlibRequest
from oauthlib.oauth2.rfc6749 import errors
from quart import Blueprint, Response, abort, redirect, render_template, request, session, url_for
from quart.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from .provider import current_provider, oauthlib_response
from .users import DevUser, InvalidUserNameError
from .validator import SUPPORTED_SCOPES

__all__ = ["browser"]

browser = Blueprint("browser", __name__)

# Session keys of the provider's own cookie (not the example app's: see app.py).
_USER = "user"
_AUTH_TIME = "auth_time"
_CSRF = "csrf"
_ANSWERED = "answered"  # [[request digest, "allow" or "deny"], ...], newest last
_ANSWERED_KEPT = 8


@browser.get("/")
async def index() -> ResponseReturnValue:
    """What this provider is, who is signed in, and where its endpoints are."""
    provider = current_provider()
    return await render_template(
        "dev_provider/index.html",
        user=_signed_in_user(),
        settings=provider.settings,
        id_tokens=provider.signer is not None,
        dpop=provider.dpop is not None,
        csrf_token=_csrf_token(),
    )


@browser.get("/login")
async def login_form() -> ResponseReturnValue:
    """The sign-in form: any user name, no password."""
    return await _render_login(next_url=_local_path(request.args.get("next")))


@browser.post("/login")
async def login() -> ResponseReturnValue:
    """Sign in as whoever was typed, then go on to ``next`` (a path on this provider)."""
    form = await request.form
    _check_csrf(form)
    next_url = _local_path(form.get("next"))
    try:
        user = DevUser.from_login_form(form.get("username", ""))
    except InvalidUserNameError as e:
        return await _render_login(next_url=next_url, error=str(e), status=400)
    session[_USER] = user.username
    session[_AUTH_TIME] = int(time.time())
    return redirect(next_url)


@browser.post("/logout")
async def logout() -> ResponseReturnValue:
    """Sign out of the provider (the example app keeps its own session)."""
    form = await request.form
    _check_csrf(form)
    session.clear()
    return redirect(_local_path(form.get("next")))


@browser.get("/authorize")
async def authorize() -> ResponseReturnValue:
    """The authorization endpoint (RFC 6749 §3.1): check the request, then ask for consent."""
    scopes, credentials = await _validated_authorization_request()
    oauth_request = credentials["request"]
    if (decision := _earlier_answer(oauth_request)) is not None:
        return await _already_answered(oauth_request, decision)
    user = _signed_in_user()
    if user is None:
        return redirect(url_for("browser.login_form", next=request.full_path))
    page = await render_template(
        "dev_provider/consent.html",
        client=oauth_request.client,
        user=user,
        scopes=[(scope, SUPPORTED_SCOPES[scope]) for scope in scopes],
        csrf_token=_csrf_token(),
    )
    # Not from the browser's cache: Back to this page asks the provider, which knows
    # whether the request was answered meanwhile.
    return Response(page, headers={"Cache-Control": "no-store"})


@browser.post("/authorize")
async def decide() -> ResponseReturnValue:
    """The consent form's answer: Allow issues a code, Deny sends ``access_denied`` back."""
    form = await request.form
    _check_csrf(form)
    # The form posts to the same URL, so the client's parameters are in the query
    # string; oauthlib checks them again rather than trusting hidden form fields.
    scopes, credentials = await _validated_authorization_request()
    user = _signed_in_user()
    if user is None:
        return redirect(url_for("browser.login_form", next=request.full_path))
    authorization_url = await _authorization_url()
    _spend_pushed_request()
    oauth_request = credentials.pop("request")
    if (earlier := _earlier_answer(oauth_request)) is not None:
        # A second answer (Deny, Back, Allow): the client closed this login with the
        # first one, so a code now would only fail there, with a misleading message.
        return await _already_answered(oauth_request, earlier)
    decision = "allow" if form.get("decision") == "allow" else "deny"
    _remember_answer(oauth_request, decision)
    if decision == "deny":
        denied = errors.AccessDeniedError(
            description="The user denied the request.", request=oauth_request
        )
        return _back_to_client(denied)
    credentials |= {"user": user.username, "auth_time": session.get(_AUTH_TIME)}
    headers, body, status = current_provider().server.create_authorization_response(
        authorization_url, "GET", None, dict(request.headers), scopes, credentials
    )
    return oauthlib_response(headers, body, status)


@browser.get("/avatar/<username>.svg")
async def avatar(username: str) -> ResponseReturnValue:
    """The user's picture: their initials on a colour of their own."""
    try:
        user = DevUser.from_login_form(username)
    except InvalidUserNameError:
        abort(404)
    svg = await render_template("dev_provider/avatar.svg", user=user)
    return Response(svg, content_type="image/svg+xml", headers={"Cache-Control": "max-age=3600"})


async def _validated_authorization_request() -> tuple[list[str], dict[str, Any]]:
    """oauthlib's verdict on the authorization request in the query string.

    A bad client id or redirect URI gets an error page here: sending the browser
    to an unverified redirect URI would make this an open redirector (RFC 6749
    §4.1.2.1). Any other error goes back to the client, as ``error=...``.
    """
    server = current_provider().server
    authorization_url = await _authorization_url()
    try:
        scopes, credentials = server.validate_authorization_request(
            authorization_url, "GET", None, {}
        )
    except errors.FatalClientError as e:
        page = await render_template("dev_provider/error.html", error=e.error, detail=e.description)
        abort(Response(page, status=400))
    except errors.OAuth2Error as e:
        abort(_back_to_client(e))
    return list(scopes), dict(credentials)


async def _authorization_url() -> str:
    """The authorization request's URL: the one requested, or the pushed one it names.

    Answers with an error page (not a redirect: nothing verified the client's
    redirect URI) for an unknown, spent or expired ``request_uri``, or one
    pushed by another client; and for a request not pushed, if the provider
    requires pushing.
    """
    provider = current_provider()
    request_uri = request.args.get("request_uri")
    if request_uri is None:
        if provider.settings.require_par:
            await _abort_with_error_page("invalid_request", "This provider requires PAR.")
        return request.url
    pushed = provider.store.pushed.get(request_uri)
    if (
        pushed is None
        or (pushed.used and not _answered_here(pushed.params))
        or pushed.expires_at <= time.time()
        or pushed.client_id != request.args.get("client_id")
    ):
        detail = "The request_uri is unknown, expired, or was used already."
        await _abort_with_error_page("invalid_request_uri", detail)
    return provider.settings.url("/authorize") + "?" + urlencode(pushed.params)


def _spend_pushed_request() -> None:
    """Mark the request's ``request_uri`` used: it stands for one answer only."""
    request_uri = request.args.get("request_uri")
    pushed = current_provider().store.pushed.get(request_uri or "")
    if pushed is not None:
        pushed.used = True


async def _abort_with_error_page(error: str, detail: str) -> NoReturn:
    page = await render_template("dev_provider/error.html", error=error, detail=detail)
    abort(Response(page, status=400))


def _request_digest(oauth_request: OAuthlibRequest) -> str:
    """Names one authorization request: its client, redirect URI, state and PKCE challenge."""
    return _digest_of(
        oauth_request.client_id,
        oauth_request.redirect_uri,
        oauth_request.state,
        oauth_request.code_challenge,
    )


def _digest_of(*parts: object) -> str:
    # The challenge is required and fresh for every login, so even clients that send
    # no state get one digest per login.
    return hashlib.sha256("\n".join(str(p) for p in parts).encode()).hexdigest()[:24]


def _answered_here(params: dict[str, str]) -> bool:
    """Whether this browser answered the pushed request with ``params`` (so Back may show it).

    Anyone else presenting a spent ``request_uri`` gets the error page instead.
    """
    keys = ("client_id", "redirect_uri", "state", "code_challenge")
    return _answer_to(_digest_of(*(params.get(key) for key in keys))) is not None


def _earlier_answer(oauth_request: OAuthlibRequest) -> str | None:
    """``"allow"`` or ``"deny"`` if this browser already answered the request, else None."""
    return _answer_to(_request_digest(oauth_request))


def _answer_to(digest: str) -> str | None:
    for entry in session.get(_ANSWERED) or []:
        if isinstance(entry, list) and len(entry) == 2 and entry[0] == digest:
            return str(entry[1])
    return None


def _remember_answer(oauth_request: OAuthlibRequest, decision: str) -> None:
    answered = [e for e in session.get(_ANSWERED) or [] if isinstance(e, list)]
    answered.append([_request_digest(oauth_request), decision])
    session[_ANSWERED] = answered[-_ANSWERED_KEPT:]


async def _already_answered(oauth_request: OAuthlibRequest, decision: str) -> Response:
    """The page for a request answered before: what the answer was, and where to go."""
    # oauthlib has verified the redirect URI, so its origin is the client's own site.
    redirect_uri = urlsplit(str(oauth_request.redirect_uri))
    page = await render_template(
        "dev_provider/answered.html",
        client=oauth_request.client,
        denied=decision != "allow",
        client_home=f"{redirect_uri.scheme}://{redirect_uri.netloc}/",
    )
    return Response(page, status=409, headers={"Cache-Control": "no-store"})


def _back_to_client(error: errors.OAuth2Error) -> Response:
    """Send the browser back to the client's (verified) redirect URI with ``error=...``."""
    # Only raised after oauthlib has checked the redirect URI, so it is set and safe.
    location = error.in_uri(str(error.redirect_uri))
    return Response("", status=302, headers={"Location": location})


async def _render_login(*, next_url: str, error: str | None = None, status: int = 200) -> Response:
    page = await render_template(
        "dev_provider/login.html", next_url=next_url, error=error, csrf_token=_csrf_token()
    )
    return Response(page, status=status)


def _signed_in_user() -> DevUser | None:
    username = session.get(_USER)
    return DevUser(username) if isinstance(username, str) else None


def _csrf_token() -> str:
    """The session's CSRF token, which every form of this provider carries."""
    if _CSRF not in session:
        session[_CSRF] = secrets.token_urlsafe(16)
    return str(session[_CSRF])


def _check_csrf(form: MultiDict[str, str]) -> None:
    expected = session.get(_CSRF)
    sent = form.get("csrf_token", "")
    if not expected or not hmac.compare_digest(str(expected), sent):
        abort(400, "The form expired or came from another site; go back and try again.")


def _local_path(next_url: str | None) -> str:
    """``next_url`` if it is a path on this provider, else ``/``: no open redirects."""
    if next_url and next_url.startswith("/") and not next_url.startswith(("//", "/\\")):
        return next_url
    return "/"
