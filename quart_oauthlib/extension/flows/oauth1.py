"""The OAuth 1 login flow: request token, then verifier for access token."""

from __future__ import annotations

import time
from collections.abc import Mapping

import aiohttp
from quart import request

from ...client.oauth1_session import OAuth1Session
from ...errors import ProviderError, QuartOAuthlibError
from ...providers.settings import ProviderConfig
from ...storage.base import Token
from ..flow_state import FlowRecord
from ..http_errors import CallbackError, TokenExchangeError
from .base import Flow, LoginContext, LoginResult, LoginStart
from .oauth2 import denied, failure_reason

__all__ = ["OAuth1Flow"]


def _session(
    config: ProviderConfig,
    http: aiohttp.ClientSession,
    *,
    callback_uri: str | None = None,
    resource_owner_key: str | None = None,
    resource_owner_secret: str | None = None,
) -> OAuth1Session:
    return OAuth1Session(
        config.client_id,
        config.client_secret,
        resource_owner_key=resource_owner_key,
        resource_owner_secret=resource_owner_secret,
        callback_uri=callback_uri,
        signature_method=config.signature_method,
        session=http,
    )


class OAuth1Flow(Flow):
    """OAuth 1.0a (RFC 5849): tokens do not expire, and cannot be revoked."""

    protocol = "oauth1"

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
        """Get a request token; the URL to authorize it, and what to keep.

        OAuth 1's authorization request takes no parameters: ``app_params`` must be empty.
        """
        return await start(config, ctx, redirect_uri, next_url)

    async def finish_login(self, config: ProviderConfig, ctx: LoginContext) -> LoginResult:
        """Check the callback's request token, and trade its verifier for an access token."""
        token, record = await finish(config, ctx)
        return LoginResult(received=token, token=token, record=record)

    def usable(self, config: ProviderConfig, token: Token) -> bool:
        """An OAuth 1 token is usable as long as it is there."""
        return bool(token.get("oauth_token"))


async def start(
    config: ProviderConfig, ctx: LoginContext, redirect_uri: str, next_url: str | None
) -> LoginStart:
    """Get a request token; the URL to authorize it, the token, and what to keep."""
    session = _session(config, ctx.http_session(), callback_uri=redirect_uri)
    try:
        token = await session.fetch_request_token(config.request_token_url or "")
    except (ProviderError, aiohttp.ClientError, TimeoutError) as exc:
        raise TokenExchangeError(
            f"Could not get a request token from {config.name!r} ({failure_reason(exc)}). "
            "Check the client key, secret and request_token_url; try again later if the "
            "provider is down.",
            provider=config.name,
            code=502,
        ) from exc
    url = session.authorization_url(config.authorize_url, **config.authorize_params)
    record = FlowRecord(
        provider=config.name,
        expires_at=time.time() + ctx.flows.timeout,
        redirect_uri=redirect_uri,
        next_url=next_url,
        request_token_secret=token.get("oauth_token_secret", ""),
    )
    return LoginStart(url, token["oauth_token"], record)


async def finish(config: ProviderConfig, ctx: LoginContext) -> tuple[Token, FlowRecord]:
    """Check the callback's request token, and trade its verifier for an access token."""
    args = request.args
    if args.get("denied") and not args.get("oauth_token"):
        raise _denied(config.name)
    record = ctx.flows.pop(args.get("oauth_token") or args.get("denied"), config.name)
    if args.get("denied"):
        raise _denied(config.name)
    verifier = args.get("oauth_verifier")
    if not verifier:
        raise CallbackError(
            f"The answer from {config.name!r} has no 'oauth_verifier'; the sign-in was not "
            "approved. Start the login again.",
            provider=config.name,
        )
    session = _session(
        config,
        ctx.http_session(),
        resource_owner_key=args.get("oauth_token"),
        resource_owner_secret=record.request_token_secret,
    )
    try:
        token = await session.fetch_access_token(config.access_token_url or "", verifier)
    except (QuartOAuthlibError, aiohttp.ClientError, TimeoutError) as exc:
        status = getattr(exc, "status", None)
        refused = isinstance(status, int) and 400 <= status < 500
        raise TokenExchangeError(
            f"{config.name!r} would not exchange the verifier for an access token "
            f"({failure_reason(exc)}). Start the login again.",
            provider=config.name,
            code=400 if refused else 502,
        ) from exc
    return dict(token), record


def _denied(name: str) -> CallbackError:
    return denied(name, "access_denied", None)
