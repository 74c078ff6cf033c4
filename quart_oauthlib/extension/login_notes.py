"""Advice logged once per provider after a login: what the app may want to change."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ..providers.settings import ProviderConfig
from .state import OAuthState

__all__ = ["warn_without_refresh_token"]

log = logging.getLogger("quart_oauthlib")


def warn_without_refresh_token(
    state: OAuthState, config: ProviderConfig, token: Mapping[str, Any]
) -> None:
    """After an OpenID login without a refresh token, say how to get one (once per provider).

    Most OpenID providers issue refresh tokens only for the ``offline_access``
    scope (OIDC Core §11), and some only when the user is asked again
    (``prompt=consent``). Only the advice is logged, never the token.
    """
    key = f"no-refresh-token:{config.name}"
    if token.get("refresh_token") or key in state.warned:
        return
    state.warned.add(key)
    log.warning(
        "The OpenID login with %r returned no refresh token, so the user must sign in again "
        "when the access token expires. To get one, add 'offline_access' to its scope and "
        "authorize_params={'prompt': 'consent'} (Google: {'access_type': 'offline', "
        "'prompt': 'consent'}) in OAUTH_PROVIDERS[%r].",
        config.name,
        config.name,
    )
