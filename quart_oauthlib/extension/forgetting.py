"""Forgetting a user's token: the logout route's and ``forget_token()``'s one way to do it.

Apart from the bound sessions so that the views (which the bound sessions'
Authlib-style methods call) need not import them.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from ..providers.settings import ProviderConfig
from .provider import Provider
from .state import OAuthState

__all__ = ["LOGOUT_DEADLINE_SECONDS", "forget_token"]

log = logging.getLogger("quart_oauthlib")

#: How long a logout waits for the provider (discovery and both revocations, at once).
LOGOUT_DEADLINE_SECONDS: Final = 5.0


async def forget_token(state: OAuthState, provider: Provider, *, revoke: bool) -> ProviderConfig:
    """Drop the current user's token for ``provider``, revoking it first if asked and possible.

    Returns the provider's config used (discovered, when it could be), for the
    logout view's end-session URL.
    """
    token = await state.load_token(provider.name)
    # Forgotten first: a provider slow to revoke must not keep the user signed in here.
    await state.delete_token(provider.name)
    try:
        async with asyncio.timeout(LOGOUT_DEADLINE_SECONDS):
            return await provider.logout(state, token, revoke=revoke)
    except TimeoutError:
        log.warning(
            "Revoking the token at %r took longer than %g s; the user is logged out here "
            "regardless.",
            provider.name,
            LOGOUT_DEADLINE_SECONDS,
        )
        return provider.config
