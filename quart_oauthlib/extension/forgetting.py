"""Forgetting a user's token: the logout route's and ``forget_token()``'s one way to do it.

Apart from the bound sessions so that the views (which the bound sessions'
Authlib-style methods call) need not import them.
"""

from __future__ import annotations

from ..providers.settings import ProviderConfig
from .flows import oauth2 as _oauth2_flow
from .flows import oidc as _oidc_flow
from .state import OAuthState

__all__ = ["forget_token"]


async def forget_token(state: OAuthState, config: ProviderConfig, *, revoke: bool) -> None:
    """Drop the current user's token for ``config``, revoking it first if asked and possible."""
    token = await state.load_token(config.name)
    if revoke and token and config.version == 2:
        await _oauth2_flow.revoke(config, state, token)
    await state.delete_token(config.name)
    _oidc_flow.forget(config.name)
