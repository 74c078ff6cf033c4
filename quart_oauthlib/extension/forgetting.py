"""Forgetting a user's token: the logout route's and ``forget_token()``'s one way to do it.

Apart from the bound sessions so that the views (which the bound sessions'
Authlib-style methods call) need not import them.
"""

from __future__ import annotations

from ..providers.settings import ProviderConfig
from .provider import Provider
from .state import OAuthState

__all__ = ["forget_token"]


async def forget_token(state: OAuthState, provider: Provider, *, revoke: bool) -> ProviderConfig:
    """Drop the current user's token for ``provider``, revoking it first if asked and possible.

    Returns the provider's config used (discovered, when it could be), for the
    logout view's end-session URL.
    """
    token = await state.load_token(provider.name)
    config = await provider.logout(state, token, revoke=revoke)
    await state.delete_token(provider.name)
    return config
