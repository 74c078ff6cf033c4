"""``await login_as(client, "github")``: a Quart test client signed in, no provider needed.

The token is written by the extension's own code into whichever store the
app uses (the session cookie, memory, SQL, Redis, yours), for the user the
app will read it for: the browser id kept in the client's session cookie, or
``user_id`` when the app names its users with a ``user_id_loader``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError
from ..extension.flows import oidc_claims
from ..extension.state import get_state, request_cache

if TYPE_CHECKING:
    from quart.testing import QuartClient

    from .provider import FakeProvider

__all__ = ["login_as", "logout_as"]


async def login_as(
    client: QuartClient,
    provider: str,
    *,
    token: Mapping[str, Any] | None = None,
    userinfo: Mapping[str, Any] | None = None,
    user_id: str | int | None = None,
    fake_provider: FakeProvider | None = None,
) -> dict[str, Any]:
    """Sign ``client`` in with ``provider`` as if the user had just logged in.

    Args:
        client: The app's test client (``app.test_client()``).
        provider: The provider's name in ``OAUTH_PROVIDERS``.
        token: The token to store; by default a made-up Bearer token valid for
            an hour (``oauth_token``/``oauth_token_secret`` for OAuth 1).
        userinfo: The user's claims (``sub``, ``email``, ``name``...). They are
            kept as the login's ID token claims (``await oauth.<name>.id_token_claims()``).
        user_id: The id your ``user_id_loader`` will return for this user; needed
            only when the app has one.
        fake_provider: A running :class:`~quart_oauthlib.testing.FakeProvider`
            the app is configured for (``settings_for``): the token is minted there,
            so API calls, ``profile()`` and ``userinfo()`` answer ``userinfo``.

    Returns:
        The token stored.

    Raises:
        ConfigurationError: The app has a ``user_id_loader`` and no ``user_id`` was given.
    """
    app = client.app
    state = get_state(app)
    config = state.provider(provider).settings
    if fake_provider is not None and token is None:
        scope = " ".join(config.scope or ())
        token = fake_provider.issue_token(config.client_id, userinfo, scope)
        userinfo = fake_provider.records.users[token_subject(fake_provider, token)]
    stored = dict(token) if token is not None else made_up_token(config.version)
    async with client.session_transaction() as browser_session:
        context = app.test_request_context("/")
        context.session = browser_session  # the extension writes into the client's cookie
        async with context:
            await _as_user(state, user_id)
            if userinfo is not None and config.version == 2:
                claims = dict(userinfo)
                claims.setdefault("sub", str(claims.get("id", user_id or "user")))
                await oidc_claims.remember(state, provider, claims)
                stored.setdefault("sub", claims["sub"])
            await state.save_token(provider, stored)
    return stored


async def logout_as(
    client: QuartClient, provider: str, *, user_id: str | int | None = None
) -> None:
    """Forget ``client``'s token for ``provider`` (without revoking it anywhere)."""
    app = client.app
    state = get_state(app)
    state.provider(provider)
    async with client.session_transaction() as browser_session:
        context = app.test_request_context("/")
        context.session = browser_session
        async with context:
            await _as_user(state, user_id)
            await state.delete_token(provider)
            oidc_claims.forget(provider)


async def _as_user(state: Any, user_id: str | int | None) -> None:
    if user_id is not None:
        request_cache().user_id = f"user:{user_id}"
        return
    if state.user_id_loader() is not None and await state.user_id(create=False) is None:
        raise ConfigurationError(
            "This app names its users with a user_id_loader, which knows nobody in a "
            "test request: pass login_as(..., user_id=<the id it will return>)."
        )
    await state.user_id(create=True)


def made_up_token(version: int) -> dict[str, Any]:
    """A token shaped like a provider's, good for an hour."""
    if version == 1:
        return {
            "oauth_token": secrets.token_urlsafe(16),
            "oauth_token_secret": secrets.token_urlsafe(16),
        }
    return {
        "access_token": secrets.token_urlsafe(24),
        "token_type": "Bearer",
        "expires_in": 3600,
        "expires_at": int(time.time()) + 3600,
    }


def token_subject(fake_provider: FakeProvider, token: Mapping[str, Any]) -> str:
    """The user ``token`` was minted for at ``fake_provider``."""
    return fake_provider.records.access_tokens[str(token["access_token"])].user
