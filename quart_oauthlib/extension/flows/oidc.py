"""The OpenID Connect login flow: nonce, ID token, userinfo, RP-initiated logout.

A provider configured with ``server_metadata_url`` is discovered on first use
(see ``extension/provider.py``). When its metadata makes it an OpenID provider,
each login

1. sends a fresh ``nonce`` (kept in the flow-state record, so it works once),
2. refuses a callback whose RFC 9207 ``iss`` is wrong, or missing although the
   provider advertises it, before the code is exchanged (``OAuth2Flow``),
3. validates the ID token (OIDC Core §3.1.3.7, with the client core),
4. fetches userinfo, whose ``sub`` must be the ID token's,

and any failure answers a 4xx (or 502 for an unusable provider) page through
the ``CallbackError`` family, with nothing stored. Only a few verified claims
are kept, in a small session key; the raw ID token is not stored.

An ``issuer`` holding ``{tenantid}`` is a template (see ``oidc_tenant``).
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import aiohttp
from quart import request

from ...client.fapi2 import FAPI2_ALGORITHMS
from ...client.oauth2_session import OAuth2Session
from ...client.oidc import ProviderMetadata, fetch_userinfo
from ...errors import (
    ConfigurationError,
    DeadlineExceededError,
    IDTokenError,
    JWKSError,
    TokenNotFoundError,
    TokenRefreshError,
    UserInfoError,
    UserInfoMismatchError,
)
from ...providers.settings import ProviderConfig
from ...storage.base import Token
from ..flow_state import FlowRecord
from ..http_errors import OpenIDProviderError, OpenIDVerificationError
from .base import Identity, LoginContext, LoginResult
from .oauth2 import OAuth2Flow, callback_params, failure_reason, finish, without_id_token
from .oidc_claims import forget, remember
from .oidc_tenant import token_issuer

if TYPE_CHECKING:
    from ...client.oidc import IDTokenValidator, JWKSCache

__all__ = ["OpenIDFlow", "end_session_redirect", "userinfo"]


def _monotonic() -> float:
    """The key cache's clock (a module function, so tests can move time forward)."""
    return time.monotonic()


class OpenIDFlow(OAuth2Flow):
    """OAuth 2 plus OpenID Connect: a nonce per login, the ID token and userinfo checked.

    Used for every provider with ``server_metadata_url``; until its metadata says
    it is an OpenID provider (``config.openid``), a login is a plain OAuth 2 one.
    Keeps the provider's signing keys (JWKS) and ID token validator.
    """

    def __init__(self) -> None:
        self._jwks: JWKSCache | None = None
        self._validator: IDTokenValidator | None = None
        self._validated_for: ProviderMetadata | None = None  # the metadata _validator is for

    async def finish_login(self, config: ProviderConfig, ctx: LoginContext) -> LoginResult:
        """Exchange the code, then validate the ID token and fetch userinfo.

        Raises:
            OpenIDVerificationError: The ID token (or userinfo ``sub``) failed a
                check; ``error`` names it (``id_token_nonce``, ``id_token_signature``...).
            OpenIDProviderError: The provider's keys or userinfo could not be fetched.
        """
        received, record = await finish(config, ctx)
        identity = await self.verify(config, ctx.http_session(), received, record)
        # The raw ID token is not stored; the account's id at the provider is, which
        # SQLTokenStore indexes (find_user).
        token = without_id_token(received)
        if identity is None:  # not an OpenID provider: its ID token was not checked
            return LoginResult(received=dict(token), token=token, record=record)
        token.setdefault("sub", identity.claims["sub"])
        return LoginResult(
            received=received,
            token=token,
            record=record,
            identity=identity,
            signal_extra={"id_token_claims": dict(identity.claims), "userinfo": identity.userinfo},
        )

    async def save_login(self, ctx: LoginContext, result: LoginResult) -> None:
        """Keep the few verified claims, then the token."""
        name = result.record.provider
        if result.identity is None:
            await super().save_login(ctx, result)
            return
        # Before the token, so that the session store's cookie-size check counts them.
        await remember(ctx, name, result.identity.claims)
        try:
            await super().save_login(ctx, result)
        except BaseException:
            forget(name)
            raise

    async def logout(
        self, config: ProviderConfig, ctx: LoginContext, token: Token | None, *, revoke: bool
    ) -> None:
        """Revoke the token where possible, and drop the kept claims."""
        try:
            await super().logout(config, ctx, token, revoke=revoke)
        finally:
            forget(config.name)

    async def refreshed(
        self,
        config: ProviderConfig,
        http: aiohttp.ClientSession,
        token: Token,
        original: Mapping[str, Any] | None,
    ) -> tuple[Token, Mapping[str, Any] | None]:
        """Validate a refresh answer's ID token (OIDC Core §12.2), never drop it unchecked.

        Same ``iss`` and ``sub`` as the login, ``aud``, signature, times, and the
        login's ``nonce`` if it carries one. Its claims replace the kept ones; the
        raw ID token is not stored.

        Raises:
            TokenRefreshError: It fails a check (the refresh fails; the old token is kept).
        """
        raw = token.get("id_token")
        kept = {key: value for key, value in token.items() if key != "id_token"}
        if raw is None or not config.openid:
            return kept, None
        name = config.name
        if not isinstance(raw, str) or not raw:
            raise TokenRefreshError(f"The refresh answer of {name!r} has an unusable ID token.")
        access_token = token.get("access_token")
        try:
            from ...client.oidc.refresh import validate_refreshed_id_token

            validator = self._validator_for(config, raw)
            if original is None and isinstance(token.get("sub"), str):
                # No claims kept in this browser: the account the stored token names.
                original = {"iss": validator.issuer, "sub": token["sub"]}
            claims = await validate_refreshed_id_token(
                validator,
                http,
                raw,
                original=original or {},
                access_token=access_token if isinstance(access_token, str) else None,
            )
        except IDTokenError as exc:
            raise TokenRefreshError(
                f"The ID token of the {name!r} refresh was refused: {exc}",
                error="invalid_id_token",
            ) from exc
        except (JWKSError, DeadlineExceededError, OpenIDProviderError) as exc:
            raise TokenRefreshError(
                f"The ID token of the {name!r} refresh could not be checked "
                f"({type(exc).__name__}).",
                error="jwks_unavailable",
            ) from exc
        kept.setdefault("sub", claims["sub"])
        return kept, dict(claims)

    async def validate_logout_token(
        self,
        config: ProviderConfig,
        http: aiohttp.ClientSession,
        raw: str,
        is_new_jti: Callable[[str, float], bool | Awaitable[bool]],
    ) -> Mapping[str, Any] | None:
        """Validate a back-channel logout token with the provider's keys (§2.6)."""
        if not config.openid or config.metadata is None:
            return None
        from ...client.oidc.logout_token import validate_logout_token

        self._validator_for_metadata(config)
        if self._jwks is None:
            from ...client.oidc import JWKSCache

            self._jwks = JWKSCache(config.metadata.require("jwks_uri"), clock=lambda: _monotonic())
        return await validate_logout_token(
            http,
            raw,
            issuer=config.metadata.issuer,
            client_id=config.client_id,
            jwks=self._jwks,
            is_new_jti=is_new_jti,
        )

    def _validator_for_metadata(self, config: ProviderConfig) -> None:
        """Forget the keys cache when the metadata changed (a new ``jwks_uri``, maybe)."""
        metadata = config.metadata
        if self._validated_for is not metadata:
            if self._jwks is not None and metadata is not None:
                if self._jwks.jwks_uri != metadata.jwks_uri:
                    self._jwks = None
            self._validator = None
            self._validated_for = metadata

    def end_session_url(self, config: ProviderConfig, target: str) -> str | None:
        """RP-initiated logout, when the provider has an ``end_session_endpoint``."""
        return end_session_redirect(config, target)

    def _nonce(self, config: ProviderConfig) -> str | None:
        # OIDC Core §3.1.2.1: one nonce per login, checked once
        return secrets.token_urlsafe(24) if config.openid else None

    async def verify(
        self,
        config: ProviderConfig,
        http: aiohttp.ClientSession,
        token: Token,
        record: FlowRecord,
    ) -> Identity | None:
        """Validate the ID token of a fresh login, then fetch and check userinfo.

        Returns None for a provider that is not an OpenID provider.
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
                f"This login with {name!r} was started without a nonce, so its ID token "
                "cannot be trusted; start the login again.",
                provider=name,
                error="id_token_nonce",
            )
        access_token = token.get("access_token")
        answer = await callback_params()
        try:
            id_token = await self._validator_for(config, raw).validate(
                http,
                raw,
                nonce=record.nonce,
                access_token=access_token if isinstance(access_token, str) else None,
                code=answer.get("code"),  # c_hash, when the provider put one in
                max_age=record.max_age,  # OIDC Core §3.1.3.7 step 13
            )
        except IDTokenError as exc:
            raise OpenIDVerificationError(
                f"The ID token from {name!r} was refused: {exc} Nothing was stored; start "
                "the login again.",
                provider=name,
                error=_error_code(exc),
            ) from exc
        except (JWKSError, DeadlineExceededError) as exc:
            raise OpenIDProviderError(
                f"The signing keys of {name!r} could not be fetched ({failure_reason(exc)}), "
                "so its ID token cannot be checked. Try again later.",
                provider=name,
                error="jwks_unavailable",
            ) from exc
        if record.acr_values is not None and id_token.get("acr") not in record.acr_values:
            # OIDC Core §3.1.3.7 step 12: the login asked for these; a weaker one is refused.
            raise OpenIDVerificationError(
                f"The sign-in with {name!r} was not made at the level asked for "
                f"(acr_values {' '.join(record.acr_values)}); nothing was stored. Sign in "
                "again with the required method.",
                provider=name,
                error="id_token_acr",
            )
        info = None
        if config.userinfo_url:
            # A resource call: only the DPoP key matters (no client authentication).
            client = OAuth2Session(
                config.client_id, token=token, session=http, dpop=config.dpop_key
            )
            info = await _userinfo(name, client, config.userinfo_url, id_token)
        return Identity(claims=dict(id_token), userinfo=info)

    def _validator_for(self, config: ProviderConfig, raw: str) -> IDTokenValidator:
        """The validator for ``raw``: kept while the metadata stays the same."""
        metadata = config.metadata
        assert metadata is not None  # noqa: S101 -- only OpenID configs get here
        self._validator_for_metadata(config)  # (re-)discovered: new keys URL, maybe
        per_token = token_issuer(metadata, raw)
        if self._validator is not None and per_token is metadata:
            return self._validator
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
        if self._jwks is None:
            self._jwks = JWKSCache(metadata.require("jwks_uri"), clock=lambda: _monotonic())
        try:
            validator = IDTokenValidator.for_provider(
                per_token,
                client_id=config.client_id,
                client_secret=config.client_secret,
                jwks=self._jwks,
                # FAPI 2.0 (§5.4): only PS256, ES256 or EdDSA, whatever the provider offers.
                algorithms=FAPI2_ALGORITHMS if config.security_profile == "fapi2" else None,
            )
        except ConfigurationError as exc:
            raise OpenIDProviderError(
                f"The ID tokens of {config.name!r} cannot be checked: {exc}",
                provider=config.name,
                error="configuration_error",
                code=500,
            ) from exc
        if per_token is metadata:
            self._validator = validator
        return validator


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
            f"The userinfo of {name!r} could not be fetched ({failure_reason(exc)}); nothing "
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


async def userinfo(
    config: ProviderConfig, bound: OAuth2Session, claims: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The user's current claims from the provider's userinfo endpoint.

    The ``sub`` must be the one of the ID token kept from the login (``claims``).

    Raises:
        TokenNotFoundError: The user holds no token for ``name``.
        ConfigurationError: The provider has no userinfo endpoint.
        UserInfoMismatchError: The ``sub`` is not the login's.
        UserInfoError: The answer is unusable.
    """
    name = config.name
    if not config.userinfo_url:
        raise ConfigurationError(f"The provider {name!r} has no userinfo endpoint.")
    if not bound.token:
        raise TokenNotFoundError(f"The current user holds no {name!r} token.")
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
