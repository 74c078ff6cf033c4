"""The OpenID Connect side of the login views: discovery, ID token, userinfo, RP logout.

A provider configured with ``server_metadata_url`` is discovered on first use
in each app (never in ``init_app``): the metadata is fetched with the app's
shared HTTP session and cached in the app's extension state, and fills every
endpoint the configuration leaves out. When the provider is an OpenID
provider, each login then

1. sends a fresh ``nonce`` (kept in the flow-state record, so it works once),
2. refuses a callback whose RFC 9207 ``iss`` is wrong, or missing although the
   provider advertises it, before the code is exchanged,
3. validates the ID token (OIDC Core §3.1.3.7, with the client core),
4. fetches userinfo, whose ``sub`` must be the ID token's,

and any failure answers a 4xx (or 502 for an unusable provider) page through
the ``CallbackError`` family, with nothing stored. Only a few verified claims
are kept, in a small session key; the raw ID token is not stored.

An ``issuer`` holding ``{tenantid}`` is a template (see ``_oidc_tenant``).
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlencode

import aiohttp
from oauthlib.oauth2 import InsecureTransportError
from quart import request

from ...client.oauth2_session import OAuth2Session
from ...client.oidc import (
    ProviderDiscovery,
    ProviderMetadata,
    check_authorization_response_issuer,
    fetch_userinfo,
)
from ...errors import (
    ConfigurationError,
    DeadlineExceededError,
    DiscoveryError,
    IDTokenError,
    IssuerMismatchError,
    JWKSError,
    TokenNotFoundError,
    UserInfoError,
    UserInfoMismatchError,
)
from ...providers.settings import ProviderConfig
from ...storage.base import Token
from ..flow_state import FlowRecord
from ..http_errors import OpenIDProviderError, OpenIDVerificationError
from ..state import OAuthState
from .oidc_claims import CLAIMS_KEY, forget, remember, stored_claims
from .oidc_tenant import TENANT, TenantDiscovery, token_issuer

if TYPE_CHECKING:
    from ...client.oidc import IDTokenValidator, JWKSCache

__all__ = [
    "CLAIMS_KEY",
    "Identity",
    "cached_config",
    "check_response_issuer",
    "end_session_redirect",
    "forget",
    "remember",
    "resolve",
    "stored_claims",
    "userinfo",
    "verify",
]

_OIDC_DOCUMENT: Final = "/.well-known/openid-configuration"


def _monotonic() -> float:
    """The key cache's clock (a module function, so tests can move time forward)."""
    return time.monotonic()


@dataclass(eq=False)
class Discovered:
    """One discovered provider of one app: metadata, the config built on it, the validator."""

    discovery: ProviderDiscovery | TenantDiscovery
    metadata: ProviderMetadata | None = None
    config: ProviderConfig | None = None
    validator: IDTokenValidator | None = None
    jwks: JWKSCache | None = None


@dataclass(frozen=True)
class Identity:
    """What a verified OpenID login yields.

    Attributes:
        claims: The validated ID token's claims (all of them).
        userinfo: The userinfo answer (its ``sub`` checked), or None when the
            provider has no userinfo endpoint.
    """

    claims: Mapping[str, Any]
    userinfo: dict[str, Any] | None


# -- discovery -------------------------------------------------------------------


def _entry(state: OAuthState, config: ProviderConfig) -> Discovered:
    url = config.server_metadata_url
    assert url is not None  # noqa: S101 -- callers check
    entry = state.openid.get(config.name)
    if entry is None:
        issuer = config.issuer
        discovery: ProviderDiscovery | TenantDiscovery = (
            TenantDiscovery(url, issuer)
            if issuer is not None and TENANT in issuer
            else ProviderDiscovery(url, issuer=issuer)
        )
        entry = state.openid[config.name] = Discovered(discovery)
    return entry


def cached_config(state: OAuthState, config: ProviderConfig) -> ProviderConfig:
    """The discovered config if this app discovered the provider already, else ``config``."""
    entry = state.openid.get(config.name)
    return entry.config if entry is not None and entry.config is not None else config


async def resolve(state: OAuthState, config: ProviderConfig) -> ProviderConfig:
    """``config`` with the endpoints discovery found (fetched once per app, then cached).

    Raises:
        OpenIDProviderError: The metadata cannot be fetched or used, or names
            another issuer than the configured one (or the URL's).
    """
    if config.server_metadata_url is None:
        return config
    entry = _entry(state, config)
    try:
        metadata = await entry.discovery.load(state.http_session())
    except (DiscoveryError, DeadlineExceededError, InsecureTransportError) as exc:
        raise OpenIDProviderError(
            f"The OpenID provider {config.name!r} cannot be used: {exc} Check its "
            "server_metadata_url (and 'issuer', when the provider's differs from the "
            "URL's prefix); nothing was stored.",
            provider=config.name,
            error="discovery_failed",
        ) from exc
    if entry.metadata is not metadata or entry.config is None:
        entry.config = _apply(config, metadata)
        if entry.jwks is not None and entry.jwks.jwks_uri != metadata.jwks_uri:
            entry.jwks = None
        entry.validator = None
        entry.metadata = metadata
    return entry.config


def _apply(config: ProviderConfig, metadata: ProviderMetadata) -> ProviderConfig:
    """Fill what the configuration leaves out from the metadata (configuration wins)."""
    where = f"The OpenID provider {config.name!r}"
    authorize_url = config.authorize_url or metadata.authorization_endpoint
    token_url = config.token_url or metadata.token_endpoint
    if not authorize_url or not token_url:
        raise OpenIDProviderError(
            f"{where} advertises no authorization_endpoint or token_endpoint; configure "
            "authorize_url and token_url.",
            provider=config.name,
            error="discovery_failed",
        )
    openid = metadata.jwks_uri is not None and (
        "openid" in metadata.scopes_supported
        or (config.server_metadata_url or "").endswith(_OIDC_DOCUMENT)
        or "openid" in (config.scope or ())  # asked for: its ID token must be checked
    )
    scope = config.scope
    if openid and "openid" not in (scope or ()):
        scope = ("openid", *(scope or ()))
    return dataclasses.replace(
        config,
        authorize_url=authorize_url,
        token_url=token_url,
        refresh_url=config.refresh_url or token_url,
        revoke_url=config.revoke_url or metadata.revocation_endpoint,
        userinfo_url=config.userinfo_url or metadata.userinfo_endpoint,
        end_session_url=config.end_session_url or metadata.end_session_endpoint,
        scope=scope,
        metadata=metadata,
        openid=openid,
    )


def _validator(state: OAuthState, config: ProviderConfig, raw: str) -> IDTokenValidator:
    entry = _entry(state, config)
    metadata = config.metadata
    assert metadata is not None  # noqa: S101 -- only OpenID configs get here
    per_token = token_issuer(metadata, raw)
    if entry.validator is not None and per_token is metadata:
        return entry.validator
    try:
        from ...client.oidc import IDTokenValidator, JWKSCache
    except ImportError as exc:
        raise OpenIDProviderError(
            f"Validating the ID tokens of {config.name!r} needs joserfc: install the jose "
            "extra (pip install quart-oauthlib[jose]).",
            provider=config.name,
            error="configuration_error",
            code=500,
        ) from exc
    if entry.jwks is None:
        entry.jwks = JWKSCache(metadata.require("jwks_uri"), clock=lambda: _monotonic())
    try:
        validator = IDTokenValidator.for_provider(
            per_token,
            client_id=config.client_id,
            client_secret=config.client_secret,
            jwks=entry.jwks,
        )
    except ConfigurationError as exc:
        raise OpenIDProviderError(
            f"The ID tokens of {config.name!r} cannot be checked: {exc}",
            provider=config.name,
            error="configuration_error",
            code=500,
        ) from exc
    if per_token is metadata:
        entry.validator = validator
    return validator


# -- the login ---------------------------------------------------------------------


async def callback_params() -> Mapping[str, str]:
    """The callback's parameters: a ``form_post`` answer's form, else the query string."""
    return await request.form if request.method == "POST" else request.args


def check_response_issuer(config: ProviderConfig, form: Mapping[str, str] | None = None) -> None:
    """RFC 9207, before the code is exchanged: the answer's ``iss`` is our provider's.

    ``form`` holds the parameters of a ``form_post`` answer; else the URL's query is read.

    Raises:
        OpenIDVerificationError: ``iss`` is wrong, repeated, or missing although
            the provider advertises it (a mix-up attack, or a misconfiguration).
    """
    if config.metadata is None:
        return
    try:
        check_authorization_response_issuer(
            config.metadata, form if form is not None else request.url
        )
    except IssuerMismatchError as exc:
        raise OpenIDVerificationError(
            f"The answer did not come from {config.name!r}: {exc} Nothing was stored; "
            "start the login again.",
            provider=config.name,
            error="issuer_mismatch",
        ) from exc


async def verify(
    state: OAuthState, config: ProviderConfig, token: Token, record: FlowRecord
) -> Identity | None:
    """Validate the ID token of a fresh login, then fetch and check userinfo.

    Returns None for a provider that is not an OpenID provider.

    Raises:
        OpenIDVerificationError: The ID token (or userinfo ``sub``) failed a
            check; ``error`` names it (``id_token_nonce``, ``id_token_signature``...).
        OpenIDProviderError: The provider's keys or userinfo could not be fetched.
    """
    if not config.openid:
        return None
    name = config.name
    raw = token.get("id_token")
    if not isinstance(raw, str) or not raw:
        raise OpenIDVerificationError(
            f"{name!r} answered the code exchange without an ID token, although 'openid' "
            "was asked for; nothing was stored.",
            provider=name,
            error="id_token_missing",
        )
    if record.nonce is None:
        raise OpenIDVerificationError(
            f"This login with {name!r} was started without a nonce, so its ID token cannot "
            "be trusted; start the login again.",
            provider=name,
            error="id_token_nonce",
        )
    http = state.http_session()
    access_token = token.get("access_token")
    answer = await callback_params()
    try:
        id_token = await _validator(state, config, raw).validate(
            http,
            raw,
            nonce=record.nonce,
            access_token=access_token if isinstance(access_token, str) else None,
            code=answer.get("code"),  # c_hash, when the provider put one in
            max_age=record.max_age,  # OIDC Core §3.1.3.7 step 13
        )
    except IDTokenError as exc:
        raise OpenIDVerificationError(
            f"The ID token from {name!r} was refused: {exc} Nothing was stored; start the "
            "login again.",
            provider=name,
            error=_error_code(exc),
        ) from exc
    except (JWKSError, DeadlineExceededError) as exc:
        raise OpenIDProviderError(
            f"The signing keys of {name!r} could not be fetched ({type(exc).__name__}), so "
            "its ID token cannot be checked. Try again later.",
            provider=name,
            error="jwks_unavailable",
        ) from exc
    info = None
    if config.userinfo_url:
        client = OAuth2Session(config.client_id, token=token, session=http)
        info = await _userinfo(name, client, config.userinfo_url, id_token)
    return Identity(claims=dict(id_token), userinfo=info)


async def _userinfo(
    name: str, client: OAuth2Session, url: str, id_token: Mapping[str, Any] | None
) -> dict[str, Any]:
    try:
        return await fetch_userinfo(client, url, id_token=id_token)
    except UserInfoMismatchError as exc:
        raise OpenIDVerificationError(
            f"The userinfo of {name!r} is about another user than its ID token: {exc}",
            provider=name,
            error="userinfo_sub_mismatch",
        ) from exc
    except (UserInfoError, DeadlineExceededError, aiohttp.ClientError) as exc:
        raise OpenIDProviderError(
            f"The userinfo of {name!r} could not be fetched ({type(exc).__name__}); nothing "
            "was stored. Try again later.",
            provider=name,
            error="userinfo_failed",
        ) from exc


def _error_code(exc: IDTokenError) -> str:
    """``IDTokenNonceError`` -> ``"id_token_nonce"``: the failed check, for ``oauth_error``."""
    words = re.sub(r"(?<!^)(?=[A-Z][a-z])", "_", type(exc).__name__.removesuffix("Error"))
    code = words.lower()
    return code if code.startswith("id_token_") else "invalid_id_token"


# -- userinfo --------------------------------------------------------------------


async def userinfo(state: OAuthState, bound: OAuth2Session, name: str) -> dict[str, Any]:
    """The user's current claims from the provider's userinfo endpoint.

    The ``sub`` must be the one of the ID token kept from the login.

    Raises:
        TokenNotFoundError: The user holds no token for ``name``.
        ConfigurationError: The provider has no userinfo endpoint.
        UserInfoMismatchError: The ``sub`` is not the login's.
        UserInfoError: The answer is unusable.
    """
    config = await resolve(state, state.provider(name))
    if not config.userinfo_url:
        raise ConfigurationError(f"The provider {name!r} has no userinfo endpoint.")
    if not bound.token:
        raise TokenNotFoundError(f"The current user holds no {name!r} token.")
    claims = await stored_claims(state, name)
    if claims is None and isinstance(bound.token.get("sub"), str):
        claims = {"sub": bound.token["sub"]}  # stored with the token at the login
    if claims is None and config.openid:
        # OIDC Core §5.3.2: userinfo is only trusted once its sub matches the ID token's.
        raise UserInfoError(
            f"There is no verified ID token subject for {name!r} to check the userinfo "
            "answer against (the token was not stored by this extension's login)."
        )
    return await fetch_userinfo(bound, config.userinfo_url, id_token=claims)


# -- logout ------------------------------------------------------------------------


def end_session_redirect(config: ProviderConfig, target: str) -> str | None:
    """RP-initiated logout: the provider's ``end_session_endpoint``, sending the user back.

    ``post_logout_redirect_uri`` is ``target`` made absolute on this site; it
    must be registered with the provider. No ``id_token_hint`` is sent: the
    raw ID token is not kept.
    """
    if not config.end_session_url:
        return None
    back = target if "://" in target else request.host_url.rstrip("/") + target
    query = urlencode({"client_id": config.client_id, "post_logout_redirect_uri": back})
    separator = "&" if "?" in config.end_session_url else "?"
    return f"{config.end_session_url}{separator}{query}"
