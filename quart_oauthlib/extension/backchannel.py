"""OpenID Connect Back-Channel Logout 1.0: the provider tells us a user logged out.

``POST <prefix>/logout/<name>/backchannel`` (form field ``logout_token``) is
served for every OAuth 2 provider. It is server-to-server: no cookie, no CSRF
token, no browser. The token is validated (``client.oidc.logout_token``: the
provider's signature, ``iss``, ``aud``, ``iat``, ``events``, ``sub``/``sid``, no
``nonce``, ``jti`` single use), then the user who linked the account ``sub``
is found in the token store (``find_user``) and their token for this provider
deleted. Answers (§2.8): 200 with ``Cache-Control: no-store`` when done; 400
with a JSON ``invalid_request`` body for a token that fails a check; 501 when
the store cannot find users (the session cookie store); 503 when the
provider's keys cannot be fetched (the provider may retry).

``jti`` single use: with a Redis store the ``jti`` is kept in Redis (``SET NX``,
so every worker sees it); otherwise in a bounded in-process set with expiry, per
app. With several workers and an SQL store, a replay to another worker within the
token's few minutes of life would log the same user out again: harmless, as the
tokens are gone already.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from quart import Response, jsonify, request
from quart.typing import ResponseReturnValue

from ..errors import (
    DeadlineExceededError,
    JWKSError,
    LogoutTokenError,
)
from ..storage.base import TokenStore, UserFinder
from .http_errors import CallbackError
from .state import OAuthState

__all__ = ["backchannel_logout"]

log = logging.getLogger("quart_oauthlib")


def _redis_jti_check(store: TokenStore, provider: str) -> Any:
    """A ``jti`` check in the Redis store itself, shared by all workers; else None."""
    from ..storage.redis import RedisTokenStore

    if not isinstance(store, RedisTokenStore):
        return None

    async def is_new(jti: str, until: float) -> bool:
        ms = max(1000, int((until - time.time()) * 1000))
        key = f"{store.prefix}:logout-jti:{provider}:{jti}"
        return bool(await store.client().set(key, "1", nx=True, px=ms))

    return is_new


def _answer(status: int, error: str | None = None, description: str = "") -> ResponseReturnValue:
    response: Response
    if error is None:
        response = Response("", status=status)
    else:
        response = jsonify(error=error, error_description=description)
        response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


async def backchannel_logout(state: OAuthState, name: str) -> ResponseReturnValue:
    """The view: validate the logout token, delete the user's tokens for ``name``."""
    provider = state.provider(name)
    store = state.store
    if not isinstance(store, UserFinder):
        return _answer(
            501,
            "not_supported",
            "This app's token store cannot find users by their account (use the SQL or "
            "Redis store for back-channel logout).",
        )
    form = await request.form
    raw = form.get("logout_token")
    if not raw:
        return _answer(400, "invalid_request", "The logout_token form field is missing.")
    http = state.http_session()
    try:
        config = await provider.resolve(http)
    except CallbackError:
        return _answer(503, "temporarily_unavailable", "The provider's metadata is unavailable.")
    is_new = _redis_jti_check(store, name) or state.seen_logout_jtis
    try:
        claims = await provider.flow.validate_logout_token(config, http, raw, is_new)
    except LogoutTokenError as exc:
        log.info("Back-channel logout for %r refused: %s", name, exc)
        return _answer(400, "invalid_request", str(exc))
    except (JWKSError, DeadlineExceededError) as exc:
        log.warning("Back-channel logout for %r: keys unavailable (%s).", name, type(exc).__name__)
        return _answer(503, "temporarily_unavailable", "The provider's keys are unavailable.")
    if claims is None:
        return _answer(400, "invalid_request", f"{name!r} is not an OpenID provider.")
    sub = claims.get("sub")
    if not isinstance(sub, str):
        # Tokens are indexed by account, not by the provider's session id.
        return _answer(
            400, "invalid_request", "A logout token without sub cannot be matched to a user here."
        )
    user = await store.find_user(name, sub)
    if user is not None:
        await store.delete(name, user)
        log.info("Back-channel logout: the %r token of one user was deleted.", name)
    # Nothing to delete is still a completed logout (§2.8): the user holds no token.
    return _answer(200)
