"""The login, callback and logout views: one blueprint per provider.

For a provider ``name`` (endpoints ``name.login``, ``name.callback``, ``name.logout``)::

    GET  <prefix>/login/<name>             redirect to the provider (state, PKCE, next kept;
                                           prompt, max_age, login_hint... passed on)
    GET  <prefix>/login/<name>/authorized  the callback: check, exchange, store, redirect
    POST <prefix>/logout/<name>            revoke where possible, forget the token

Each view is a short list of steps; what differs between OAuth 1, OAuth 2 and
OpenID Connect lives in the provider's :class:`~.flows.base.Flow`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from quart import Blueprint, Response, jsonify, make_response, redirect, request, url_for
from quart.typing import ResponseReturnValue
from werkzeug.wrappers.response import Response as ResponseBase

from ..client.budget import time_budget
from ..errors import SessionCookieTooLargeError
from ..providers.settings import ProviderConfig
from ..signals import oauth_authorized, oauth_before_login, oauth_error, send
from .backchannel import backchannel_logout
from .flow_state import FlowRecord
from .forgetting import forget_token
from .http_errors import CallbackError, TokenNotStoredError
from .login_notes import warn_without_refresh_token
from .provider import Provider
from .redirects import safe_next, wants_json
from .state import OAuthState, get_state

__all__ = ["FinishedLogin", "finish_login", "make_blueprint"]

log = logging.getLogger("quart_oauthlib")
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def make_blueprint(config: ProviderConfig, url_prefix: str) -> Blueprint:
    """The blueprint of provider ``config.name``, under ``url_prefix``."""
    name = config.name
    blueprint = Blueprint(name, __name__, url_prefix=(url_prefix + config.url_prefix) or None)

    async def login() -> ResponseReturnValue:
        return await _login(get_state(), name)

    async def callback() -> ResponseReturnValue:
        return await _callback(get_state(), name)

    async def logout() -> ResponseReturnValue:
        return await _logout(get_state(), name)

    blueprint.add_url_rule(f"/login/{name}", "login", login, methods=["GET"])
    # response_mode=form_post (Sign in with Apple) answers with a cross-site POST.
    form_post = config.authorize_params.get("response_mode") == "form_post"
    methods = ["GET", "POST"] if form_post else ["GET"]
    blueprint.add_url_rule(f"/login/{name}/authorized", "callback", callback, methods=methods)
    blueprint.add_url_rule(f"/logout/{name}", "logout", logout, methods=["POST"])
    if config.version == 2:

        async def backchannel() -> ResponseReturnValue:
            return await backchannel_logout(get_state(), name)

        # OpenID Connect Back-Channel Logout: the provider's server calls it, not a browser.
        blueprint.add_url_rule(
            f"/logout/{name}/backchannel", "backchannel_logout", backchannel, methods=["POST"]
        )
    return blueprint


async def _login(
    state: OAuthState,
    name: str,
    *,
    redirect_uri: str | None = None,
    params: Mapping[str, str] | None = None,
) -> ResponseReturnValue:
    """Start a login; ``redirect_uri`` and ``params`` come from ``authorize_redirect()``."""
    provider = state.provider(name)
    # authorize_redirect() names its own way back; the login link's ?next= is the route's.
    next_url = safe_next(request.args.get("next")) if params is None else None
    redirect_uri = redirect_uri or _redirect_uri(state, provider.settings)
    try:
        start = await provider.start_login(
            state, redirect_uri, next_url, request.args, app_params=params
        )
    except CallbackError as exc:
        return await _fail(exc)
    state.flows.add(start.key, start.record)
    for value in await send(oauth_before_login, provider=name, url=start.url):
        if value is not None:
            return await make_response(value)
    return redirect(start.url)


async def _callback(state: OAuthState, name: str) -> ResponseReturnValue:
    try:
        done = await finish_login(state, name)
    except CallbackError as exc:
        return await _fail(exc)
    if done.response is not None:
        return done.response
    return redirect(done.record.next_url or _default_target(state, state.provider(name)))


@dataclass(frozen=True)
class FinishedLogin:
    """A checked callback: the token as received, and what to answer.

    Attributes:
        token: The token answer (with its raw ID token), plus ``userinfo``
            (the verified claims, and the userinfo answer) for an OpenID login.
        record: The login's flow record (its ``next_url``).
        response: A response an ``oauth_authorized`` receiver returned, if any.
    """

    token: dict[str, Any]
    record: FlowRecord
    response: Response | ResponseBase | None


async def finish_login(state: OAuthState, name: str) -> FinishedLogin:
    """Check the callback, exchange the code, verify, send the signal and store the token.

    The callback view and ``authorize_access_token()`` share it: both run the
    provider's Flow.

    Raises:
        CallbackError: The login could not complete; nothing was stored.
    """
    provider = state.provider(name)
    # One budget for every provider call of the callback: each call's own
    # deadline (the token request's 10 s, say) is cut to what is left of it.
    with time_budget(state.callback_timeout):
        result = await provider.finish_login(state)
    received = dict(result.received)
    store = True
    for value in await send(
        oauth_authorized, provider=name, token=result.received, **result.signal_extra
    ):
        if value is False:
            store = False
        elif value is not None and value is not True:
            return FinishedLogin(received, result.record, await make_response(value))
    identity = result.identity
    if identity is not None:
        received["userinfo"] = {**identity.claims, **(identity.userinfo or {})}
        warn_without_refresh_token(state, provider.config, received)
    if store:
        try:
            await state.new_browser_id(drop=name)  # before the token is stored: under the new id
            await provider.flow.save_login(state, result)
        except SessionCookieTooLargeError as exc:
            raise TokenNotStoredError(
                f"The sign-in with {name!r} worked, but its token cannot be kept: {exc}",
                provider=name,
            ) from exc
    log.info("Signed in with %r.", name)
    return FinishedLogin(received, result.record, None)


async def _logout(state: OAuthState, name: str) -> ResponseReturnValue:
    provider = state.provider(name)
    if not _same_origin():
        return Response("Cross-site logout refused.", status=403)
    config = await forget_token(state, provider, revoke=True)
    await state.new_browser_id(drop=name)
    form = await request.form
    target = safe_next(form.get("next") or request.args.get("next"))
    target = target or _default_target(state, provider)
    end_session = provider.flow.end_session_url(config, target)  # RP-initiated logout
    if wants_json():
        return jsonify(end_session_url=end_session) if end_session else Response("", status=204)
    return redirect(end_session or target, 303)


async def _fail(exc: CallbackError) -> ResponseReturnValue:
    """Tell ``oauth_error`` receivers; answer with theirs, or the error's 4xx page."""
    log.info("Login with %r failed: %s (status %s).", exc.provider, exc.error, exc.code)
    values = await send(
        oauth_error,
        provider=exc.provider,
        error=exc.error,
        description=exc.description or "",
        exception=exc,
    )
    for value in values:
        if value is not None:
            return await make_response(value)
    if wants_json():
        return jsonify(exc.to_dict()), exc.code or 400
    raise exc


def _redirect_uri(state: OAuthState, config: ProviderConfig) -> str:
    """The callback URL: configured, or built from this request (proxy headers honoured)."""
    if config.redirect_uri:
        return config.redirect_uri
    uri = url_for(f"{config.name}.callback", _external=True)
    parts = urlsplit(uri)
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        key = f"http-callback:{config.name}"
        if key not in state.warned:
            state.warned.add(key)
            log.warning(
                "The callback URL of %r is %s (plain http). Behind a TLS-terminating proxy, "
                "wrap the app in hypercorn's ProxyFixMiddleware to trust X-Forwarded-Proto, "
                "or set redirect_uri for this provider.",
                config.name,
                uri,
            )
    return uri


def _default_target(state: OAuthState, provider: Provider) -> str:
    target = provider.settings.redirect_to or state.redirect_to
    if target.startswith("/") or "://" in target:
        return target
    return url_for(target)


def _same_origin() -> bool:
    """Refuse a logout POSTed from another site (where the browser says so)."""
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.host
