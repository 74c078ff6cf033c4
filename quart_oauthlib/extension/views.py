"""The login, callback and logout views: one blueprint per provider.

For a provider ``name`` (endpoints ``name.login``, ``name.callback``, ``name.logout``)::

    GET  <prefix>/login/<name>             redirect to the provider (state, PKCE, next kept;
                                           prompt, max_age, login_hint... passed on)
    GET  <prefix>/login/<name>/authorized  the callback: check, exchange, store, redirect
    POST <prefix>/logout/<name>            revoke where possible, forget the token

Each view is a short list of steps; the OAuth 1 and OAuth 2 specifics live in
``_oauth1_flow`` and ``_oauth2_flow``.
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

from ..providers.settings import ProviderConfig
from ..signals import oauth_authorized, oauth_before_login, oauth_error, send
from .flow_state import FlowRecord
from .flows import oauth1 as _oauth1_flow
from .flows import oauth2 as _oauth2_flow
from .flows import oidc as _oidc_flow
from .forgetting import forget_token
from .http_errors import CallbackError
from .login_notes import warn_without_refresh_token
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
    return blueprint


async def _login(
    state: OAuthState,
    name: str,
    *,
    redirect_uri: str | None = None,
    params: Mapping[str, str] | None = None,
) -> ResponseReturnValue:
    """Start a login; ``redirect_uri`` and ``params`` come from ``authorize_redirect()``."""
    try:
        config = await _oidc_flow.resolve(state, state.provider(name))
    except CallbackError as exc:
        return await _fail(exc)
    next_url = safe_next(request.args.get("next")) if params is None else None
    redirect_uri = redirect_uri or _redirect_uri(state, config)
    try:
        if config.version == 1:
            url, key, record = await _oauth1_flow.start(config, state, redirect_uri, next_url)
        else:
            per_login = dict(params) if params is not None else _per_login_args()
            url, key, record = _oauth2_flow.start(config, state, redirect_uri, next_url, per_login)
    except CallbackError as exc:
        return await _fail(exc)
    state.flows.add(key, record)
    for value in await send(oauth_before_login, provider=name, url=url):
        if value is not None:
            return await make_response(value)
    return redirect(url)


def _per_login_args() -> dict[str, str]:
    """The login link's own parameters (``/login/corp?prompt=login``), those allowed."""
    return {
        param: value
        for param in _oauth2_flow.PER_LOGIN_PARAMS
        if (value := request.args.get(param)) is not None
    }


async def _callback(state: OAuthState, name: str) -> ResponseReturnValue:
    try:
        done = await finish_login(state, name)
    except CallbackError as exc:
        return await _fail(exc)
    if done.response is not None:
        return done.response
    return redirect(done.record.next_url or _default_target(state, done.config))


@dataclass(frozen=True)
class FinishedLogin:
    """A checked callback: the token as received, and what to answer.

    Attributes:
        token: The token answer (with its raw ID token), plus ``userinfo``
            (the verified claims, and the userinfo answer) for an OpenID login.
        record: The login's flow record (its ``next_url``).
        config: The provider's (discovered) config.
        response: A response an ``oauth_authorized`` receiver returned, if any.
    """

    token: dict[str, Any]
    record: FlowRecord
    config: ProviderConfig
    response: Response | ResponseBase | None


async def finish_login(state: OAuthState, name: str) -> FinishedLogin:
    """Check the callback, exchange the code, verify, send the signal and store the token.

    The callback view and ``authorize_access_token()`` share it.

    Raises:
        CallbackError: The login could not complete; nothing was stored.
    """
    identity = None
    config = await _oidc_flow.resolve(state, state.provider(name))
    if config.version == 1:
        token, record = await _oauth1_flow.finish(config, state)
    else:
        token, record = await _oauth2_flow.finish(config, state)
        identity = await _oidc_flow.verify(state, config, token, record)
    extra = {}
    received = dict(token)
    if identity is not None:  # OpenID: the verified claims; the raw ID token is not stored
        extra = {"id_token_claims": dict(identity.claims), "userinfo": identity.userinfo}
        token = {key: value for key, value in token.items() if key != "id_token"}
        # The account's id at the provider, which SQLTokenStore indexes (find_user).
        token.setdefault("sub", identity.claims["sub"])
    store = True
    for value in await send(oauth_authorized, provider=name, token=received, **extra):
        if value is False:
            store = False
        elif value is not None and value is not True:
            return FinishedLogin(received, record, config, await make_response(value))
    if identity is not None:
        received = {**received, "userinfo": {**identity.claims, **(identity.userinfo or {})}}
        warn_without_refresh_token(state, config, received)
    if store:
        if identity is not None:
            # Before the token, so that the session store's cookie-size check counts them.
            await _oidc_flow.remember(state, name, identity.claims)
        try:
            await state.save_token(name, token)
        except BaseException:
            _oidc_flow.forget(name)
            raise
    log.info("Signed in with %r.", name)
    return FinishedLogin(received, record, config, None)


async def _logout(state: OAuthState, name: str) -> ResponseReturnValue:
    config = state.provider(name)
    if not _same_origin():
        return Response("Cross-site logout refused.", status=403)
    try:
        config = await _oidc_flow.resolve(state, config)
    except CallbackError as exc:  # still log out here, without the provider's endpoints
        log.warning("Logging out of %r without its metadata: %s", name, exc.error)
    await forget_token(state, config, revoke=True)
    form = await request.form
    target = safe_next(form.get("next") or request.args.get("next"))
    target = target or _default_target(state, config)
    end_session = _oidc_flow.end_session_redirect(config, target)  # RP-initiated logout
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


def _default_target(state: OAuthState, config: ProviderConfig) -> str:
    target = config.redirect_to or state.redirect_to
    if target.startswith("/") or "://" in target:
        return target
    return url_for(target)


def _same_origin() -> bool:
    """Refuse a logout POSTed from another site (where the browser says so)."""
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.host
