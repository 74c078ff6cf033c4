"""The OAuth 2 login flow: authorization URL, code exchange (RFC 9207 checked), revocation."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Mapping
from typing import Any, Final

import aiohttp
from oauthlib.oauth2 import OAuth2Error
from quart import request

from ...client._transport import basic_authorization
from ...client.oauth2_session import OAuth2Session
from ...client.oidc import check_authorization_response_issuer
from ...errors import (
    DeadlineExceededError,
    IssuerMismatchError,
    ProviderError,
    PushedAuthorizationError,
)
from ...providers.settings import ProviderConfig
from ...storage.base import Token
from ..flow_state import FlowRecord
from ..http_errors import (
    AuthorizationDeniedError,
    CallbackError,
    OpenIDVerificationError,
    PushedAuthorizationFailedError,
    TokenExchangeError,
)
from .base import Flow, LoginContext, LoginResult, LoginStart

__all__ = [
    "PER_LOGIN_PARAMS",
    "OAuth2Flow",
    "callback_params",
    "check_response_issuer",
    "checked_per_login",
    "failure_reason",
    "finish",
    "without_id_token",
    "tightened",
]

log = logging.getLogger("quart_oauthlib")

#: RFC 6749 §4.1.2.1 error codes, with what a developer can do about each.
_ERROR_HINTS = {
    "invalid_request": "the authorization request was malformed; check authorize_url and "
    "authorize_params",
    "unauthorized_client": "this client may not use the authorization code grant; check the "
    "app's registration with the provider",
    "unsupported_response_type": "the provider does not issue codes to this client",
    "invalid_scope": "check this provider's 'scope' setting against what it offers",
    "server_error": "the provider failed; try again later",
    "temporarily_unavailable": "the provider is busy or down; try again later",
}
_MAX_PROVIDER_TEXT = 200
#: Each revocation's own deadline (the whole logout has a shorter one, see bound.py).
_REVOKE_TIMEOUT_SECONDS: Final = 10.0
#: Authorization request parameters a login link may set (``/login/corp?prompt=login``):
#: those of OIDC Core §3.1.2.1 that change how the user signs in, never what the app
#: asks for (scope, redirect_uri, response_type stay the app's).
PER_LOGIN_PARAMS: Final = frozenset(
    {"prompt", "max_age", "login_hint", "ui_locales", "acr_values", "display"}
)
#: The longest value a login link may give each per-login parameter (characters).
_PER_LOGIN_MAX_CHARS: Final = {"login_hint": 512, "max_age": 10}
_PER_LOGIN_DEFAULT_MAX: Final = 256


def _session(
    config: ProviderConfig,
    redirect_uri: str,
    *,
    verifier: bool = True,
    http: aiohttp.ClientSession | None = None,
) -> OAuth2Session:
    session = OAuth2Session(
        config.client_id,
        scope=config.scope_param,  # joined with the provider's separator when not a space
        redirect_uri=redirect_uri,
        client_secret=config.current_client_secret(),  # Apple's is made per request
        pkce=config.pkce if verifier else None,
        session=http,
        **client_options(config),
    )
    if config.compliance_fix is not None:
        config.compliance_fix(session)
    return session


def client_options(config: ProviderConfig) -> dict[str, Any]:
    """The ``OAuth2Session`` options of a provider's client authentication, DPoP and JAR.

    Empty for a provider that needs none of them: its calls keep the long-standing
    Basic / form-field credentials. Otherwise every call to the provider (token,
    refresh, PAR, revocation, introspection) authenticates with
    ``token_endpoint_auth_method``; assertions and request objects name the
    discovered issuer as their ``aud``. The DPoP key is the provider's one key.
    """
    if not config.modern_client:
        return {}
    options: dict[str, Any] = {
        "token_endpoint_auth_method": config.token_endpoint_auth_method,
        "client_jwk": config.client_jwk,
        "issuer": config.assertion_audience,
        "request_object": config.request_object,
    }
    if config.dpop_key is not None:
        options["dpop"] = config.dpop_key
    return options


class OAuth2Flow(Flow):
    """The authorization code grant (RFC 6749 §4.1), with PKCE and RFC 9207's ``iss``."""

    protocol = "oauth2"

    async def start_login(
        self,
        config: ProviderConfig,
        ctx: LoginContext,
        redirect_uri: str,
        next_url: str | None,
        args: Mapping[str, str],
        *,
        app_params: Mapping[str, str] | None = None,
    ) -> LoginStart:
        """The authorization URL, its state, and the record to keep until the callback.

        The :data:`PER_LOGIN_PARAMS` found in ``args`` (or all of ``app_params``,
        which the app chose itself) go over the provider's ``authorize_params``.
        """
        if app_params is not None:
            per_login = dict(app_params)  # the app's own choice, not a login link's
        else:
            per_login = checked_per_login(config, args)
        return await start(
            config,
            ctx,
            redirect_uri,
            next_url,
            per_login,
            nonce=self._nonce(config),
            from_link=app_params is None,
        )

    async def finish_login(self, config: ProviderConfig, ctx: LoginContext) -> LoginResult:
        """Check the callback and exchange its code."""
        token, record = await finish(config, ctx)
        # An ID token in a plain OAuth 2 answer was checked by nobody (no keys, no
        # nonce): it is neither stored nor given to oauth_authorized receivers.
        unverified = without_id_token(token)
        return LoginResult(received=unverified, token=dict(unverified), record=record)

    async def logout(
        self, config: ProviderConfig, ctx: LoginContext, token: Token | None, *, revoke: bool
    ) -> None:
        """Revoke the token (RFC 7009) where the provider can, when asked."""
        if revoke and token:
            await revoke_token(config, ctx.http_session(), token)

    def usable(self, config: ProviderConfig, token: Token) -> bool:
        """An access token not expired yet, or one that can be refreshed."""
        if not token.get("access_token"):
            return False
        bound_to = token.get("dpop_jkt")
        key = config.dpop_key
        if bound_to is not None and (key is None or bound_to != key.thumbprint):
            return False  # bound to a key this app no longer holds: sign in again
        expires_at = token.get("expires_at")
        if not isinstance(expires_at, (int, float)) or expires_at > time.time():  # noqa: UP038 -- a tuple: no union built per call
            return True
        # server_metadata_url: the refresh (token) URL comes with the metadata
        can_refresh = config.refresh_url or config.server_metadata_url
        return bool(token.get("refresh_token") and can_refresh)

    def _nonce(self, config: ProviderConfig) -> str | None:
        """The login's nonce, for flows whose answers carry one (OpenID)."""
        return None


def failure_reason(exc: BaseException) -> str:
    """What to say about a failed provider call: a missed deadline names its figure.

    Other exceptions are named by type only: their text may quote the provider.
    """
    if isinstance(exc, DeadlineExceededError):
        return str(exc)
    return type(exc).__name__


def without_id_token(token: Token) -> Token:
    """``token`` without its raw ID token."""
    return {key: value for key, value in token.items() if key != "id_token"}


def checked_per_login(config: ProviderConfig, args: Mapping[str, Any]) -> dict[str, str]:
    """The :data:`PER_LOGIN_PARAMS` of a login link, each checked for type and length.

    Raises:
        CallbackError: A 400 naming the parameter that is not a short printable string.
    """
    per_login: dict[str, str] = {}
    for name in sorted(PER_LOGIN_PARAMS):
        value = args.get(name)
        if value is None:
            continue
        limit = _PER_LOGIN_MAX_CHARS.get(name, _PER_LOGIN_DEFAULT_MAX)
        if not isinstance(value, str) or len(value) > limit or not value.isprintable():
            raise CallbackError(
                f"The login link's {name!r} is not a printable text of at most {limit} "
                "characters; nothing was sent to the provider.",
                provider=config.name,
            )
        per_login[name] = value
    return per_login


def tightened(config: ProviderConfig, per_login: Mapping[str, str]) -> dict[str, str]:
    """The authorization parameters: the app's, which a login link may only tighten.

    A link may ask for a smaller ``max_age`` than the app's (never a larger one),
    and, when the app sets ``acr_values``, only values among the app's: a link
    such as ``?acr_values=urn:password&max_age=31536000`` must not undo an app's
    demand for a recent multi-factor login. Without an app value, a link's is taken.

    Raises:
        CallbackError: A 400 naming the parameter that would loosen the app's.
    """
    params = {**config.authorize_params}
    for name, value in per_login.items():
        configured = params.get(name)
        if name == "max_age" and configured is not None:
            asked, ceiling = _max_age(config, value), _max_age(config, str(configured))
            if ceiling is not None and (asked is None or asked > ceiling):
                raise CallbackError(
                    f"The login link's 'max_age' ({value}) is larger than the app's "
                    f"({configured}); a link may only ask for a more recent sign-in.",
                    provider=config.name,
                )
        if name == "acr_values" and configured is not None:
            allowed = str(configured).split()
            if not value.split() or any(v not in allowed for v in value.split()):
                raise CallbackError(
                    "The login link's 'acr_values' must be among the app's "
                    f"({' '.join(allowed)}); a link may not ask for a weaker sign-in.",
                    provider=config.name,
                )
        params[name] = value
    return params


async def start(
    config: ProviderConfig,
    ctx: LoginContext,
    redirect_uri: str,
    next_url: str | None,
    per_login: Mapping[str, str] | None = None,
    *,
    nonce: str | None = None,
    from_link: bool = True,
) -> LoginStart:
    """The authorization URL, its state, and the record to keep until the callback.

    ``per_login`` holds the :data:`PER_LOGIN_PARAMS` of this login, over the
    provider's ``authorize_params``; when they come from a login link
    (``from_link``), they may only tighten the app's (see :func:`tightened`).
    """
    session = _session(config, redirect_uri, http=ctx.http_session())
    if from_link:
        params = tightened(config, per_login or {})
    else:
        params = {**config.authorize_params, **(per_login or {})}
    max_age = _max_age(config, params.get("max_age"))
    acr = params.get("acr_values")
    if nonce is not None:
        params["nonce"] = nonce
    if config.uses_par:
        url, flow_state = await push(config, session, params)
    else:
        url, flow_state = session.authorization_url(config.authorize_url, **params)
    record = FlowRecord(
        provider=config.name,
        expires_at=time.time() + ctx.flows.timeout,
        redirect_uri=redirect_uri,
        next_url=next_url,
        code_verifier=session.code_verifier,
        nonce=nonce,
        max_age=max_age,
        acr_values=tuple(str(acr).split()) if acr else None,
    )
    return LoginStart(url, flow_state, record)


async def push(
    config: ProviderConfig, session: OAuth2Session, params: Mapping[str, str]
) -> tuple[str, str]:
    """Push the authorization request (RFC 9126): the redirect carries client_id and request_uri.

    Raises:
        CallbackError: The provider has no PAR endpoint, or refused or failed the push.
    """
    endpoint = config.metadata.pushed_authorization_request_endpoint if config.metadata else None
    if not endpoint:
        raise PushedAuthorizationFailedError(
            f"{config.name!r} is set to push authorization requests (par=True), but its "
            "metadata names no pushed_authorization_request_endpoint.",
            provider=config.name,
            code=500,
        )
    try:
        extra: dict[str, Any] = dict(params)
        return await session.push_authorization_request(endpoint, config.authorize_url, **extra)
    except PushedAuthorizationError as exc:
        # 400/401: our request or credentials (a setting to fix); 429 and 5xx: busy.
        detail = f" ({exc.error}: {_clip(exc.description)})" if exc.error else ""
        raise PushedAuthorizationFailedError(
            f"{config.name!r} refused the pushed authorization request, status "
            f"{exc.status}{detail}. Check this client's registration and "
            "token_endpoint_auth_method; nothing was stored.",
            provider=config.name,
            code=503 if exc.status == 429 or (exc.status or 0) >= 500 else 502,
        ) from exc
    except (ProviderError, aiohttp.ClientError, TimeoutError) as exc:
        raise PushedAuthorizationFailedError(
            f"The pushed authorization request to {config.name!r} failed "
            f"({type(exc).__name__}); try again later.",
            provider=config.name,
            code=502,
        ) from exc


def _max_age(config: ProviderConfig, value: str | None) -> int | None:
    """``max_age`` as whole seconds (OIDC Core §3.1.2.1), or a clear 400."""
    if value is None or value == "":
        return None
    text = str(value)
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        raise CallbackError(
            f"'max_age' for {config.name!r} must be a whole number of seconds (at most "
            f"10 digits), not {_clip(text, 20)!r}.",
            provider=config.name,
        )
    return int(text)


async def callback_params() -> Mapping[str, str]:
    """The callback's parameters: a ``form_post`` answer's form, else the query string."""
    return await request.form if request.method == "POST" else request.args


def check_response_issuer(config: ProviderConfig, form: Mapping[str, str] | None = None) -> None:
    """RFC 9207, before the code is exchanged: the answer's ``iss`` is our provider's.

    ``form`` holds the parameters of a ``form_post`` answer; else the URL's query is read.
    Only a provider whose metadata is known (discovered) is checked.

    Raises:
        OpenIDVerificationError: ``iss`` is wrong, repeated, or missing although
            the provider advertises it (a mix-up attack, or a misconfiguration).
    """
    metadata = config.metadata
    if metadata is None:
        return
    if (
        config.security_profile == "fapi2"
        and not metadata.authorization_response_iss_parameter_supported
    ):
        # FAPI 2.0 (§5.3.2.2): the client requires ``iss``, whatever the metadata says.
        metadata = dataclasses.replace(
            metadata, authorization_response_iss_parameter_supported=True
        )
    try:
        check_authorization_response_issuer(metadata, form if form is not None else request.url)
    except IssuerMismatchError as exc:
        raise OpenIDVerificationError(
            f"The answer did not come from {config.name!r}: {exc} Nothing was stored; "
            "start the login again.",
            provider=config.name,
            error="issuer_mismatch",
        ) from exc


async def finish(config: ProviderConfig, ctx: LoginContext) -> tuple[Token, FlowRecord]:
    """Check the callback and exchange its code; raise a CallbackError on any failure."""
    args = await callback_params()
    if args.get("error"):
        # Single use, even on error. An error answer matching no login in progress is
        # anyone's text (RFC 6749 §10.12, content spoofing): it gets the same "no login
        # in progress" answer as any stray callback, and its words are never shown.
        ctx.flows.pop(args.get("state"), config.name)
        # RFC 9207 §2.4: error answers carry iss too. One naming another issuer is not
        # our provider's word (a mix-up attacker's, say): refuse it as such.
        check_response_issuer(config, args if request.method == "POST" else None)
        raise denied(
            config.name, args.get("error", ""), args.get("error_description"), args.get("error_uri")
        )
    record = ctx.flows.pop(args.get("state"), config.name)
    # RFC 9207, before the code is spent (a form_post answer carries iss in its form)
    check_response_issuer(config, args if request.method == "POST" else None)
    code = args.get("code")
    if not code:
        raise CallbackError(
            f"The answer from {config.name!r} has neither 'code' nor 'error'; the provider "
            "may use another response type than 'code'.",
            provider=config.name,
        )
    session = _session(
        config,
        record.redirect_uri,
        verifier=record.code_verifier is not None,
        http=ctx.http_session(),
    )
    extra: dict[str, Any] = dict(config.token_params)
    include_client_id = None if config.token_endpoint_auth_method == "client_secret_basic" else True
    try:
        token = await session.fetch_token(
            config.token_url or "",
            code=code,
            code_verifier=record.code_verifier,
            include_client_id=include_client_id,
            **extra,
        )
    except OAuth2Error as exc:
        detail = f": {_clip(exc.description)}" if exc.description else ""
        raise TokenExchangeError(
            f"{config.name!r} refused to exchange the authorization code ({exc.error}{detail}). "
            "Check the client secret and the registered redirect URI; start the login again.",
            provider=config.name,
        ) from exc
    except (ProviderError, aiohttp.ClientError, TimeoutError) as exc:
        raise TokenExchangeError(
            f"Could not get a token from {config.name!r} ({failure_reason(exc)}); the provider "
            "is unreachable or answered something unusable. Try again later.",
            provider=config.name,
            code=502,
        ) from exc
    if config.dpop_key is not None:
        # The session checked token_type=DPoP; the stored token names the key it is
        # bound to, so that a token bound to another key (a changed dpop_key) is
        # known unusable rather than refused by the API.
        token = {**token, "dpop_jkt": config.dpop_key.thumbprint}
    return token, record


def denied(
    name: str, error: str, description: str | None, uri: str | None = None
) -> AuthorizationDeniedError:
    """The error for a provider's ``error=...`` answer."""
    error = _clip(error, 64)
    if error == "access_denied":
        text = f"The sign-in with {name!r} was cancelled or refused; nothing was stored."
    else:
        hint = _ERROR_HINTS.get(error, "see the provider's documentation")
        detail = f" ({_clip(description)})" if description else ""
        text = f"{name!r} answered the login with error {error!r}{detail}: {hint}."
    return AuthorizationDeniedError(
        text,
        provider=name,
        error=error,
        error_description=_clip(description) if description else None,
        error_uri=_clip(uri) if uri else None,
    )


def _clip(text: str | None, limit: int = _MAX_PROVIDER_TEXT) -> str:
    """Provider text for a page: printable, and short."""
    flat = "".join(c if c.isprintable() else " " for c in str(text or ""))
    return flat if len(flat) <= limit else flat[:limit] + "..."


async def revoke_token(config: ProviderConfig, http: aiohttp.ClientSession, token: Token) -> None:
    """Revoke ``token`` at the provider (RFC 7009); failures are logged, not raised."""
    if not config.revoke_url:
        return
    if config.modern_client:
        await _revoke_with_client_auth(config, http, token)
        return
    # Both at once: the caller bounds the whole logout (see forgetting.forget_token).
    await asyncio.gather(
        *(
            _revoke_one(config, http, hint, str(token[hint]))
            for hint in ("refresh_token", "access_token")
            if token.get(hint)
        )
    )


async def _revoke_one(
    config: ProviderConfig, http: aiohttp.ClientSession, hint: str, value: str
) -> None:
    """One RFC 7009 revocation; failures are logged, not raised."""
    revoke_url = config.revoke_url or ""
    form = {"token": value, "token_type_hint": hint}
    headers = {"Accept": "application/json"}
    secret = config.current_client_secret()
    if config.token_endpoint_auth_method == "client_secret_basic" and secret:
        headers["Authorization"] = basic_authorization(config.client_id, secret, form_encode=True)
    else:
        form["client_id"] = config.client_id
        if secret:
            form["client_secret"] = secret
    try:
        async with http.post(
            revoke_url,
            data=form,
            headers=headers,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=_REVOKE_TIMEOUT_SECONDS),
        ) as resp:
            if resp.status != 200:
                log.warning(
                    "Revoking a %s at %r answered status %s.", hint, config.name, resp.status
                )
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("Revoking a %s at %r failed: %s.", hint, config.name, type(exc).__name__)


async def _revoke_with_client_auth(
    config: ProviderConfig, http: aiohttp.ClientSession, token: Token
) -> None:
    """Revoke through ``OAuth2Session`` (its client authentication: assertions, mTLS...)."""
    assert config.revoke_url is not None  # noqa: S101 -- checked by the caller
    session = OAuth2Session(
        config.client_id,
        client_secret=config.current_client_secret(),
        session=http,
        **client_options(config),
    )
    revoke_url = config.revoke_url

    async def one(hint: str, value: str) -> None:
        try:
            await session.revoke_token(revoke_url, value, token_type_hint=hint)
        except (OAuth2Error, ProviderError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("Revoking a %s at %r failed: %s.", hint, config.name, type(exc).__name__)

    # Both at once, as without client authentication.
    await asyncio.gather(
        *(one(h, str(token[h])) for h in ("refresh_token", "access_token") if token.get(h))
    )
