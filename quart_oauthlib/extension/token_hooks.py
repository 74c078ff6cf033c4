"""Authlib's ``update_token`` setting: a callback told of every refreshed token.

``token_updated`` (the signal) serves the same purpose; this is for apps
ported from Authlib, whose registry takes::

    def update_token(token, refresh_token=None, access_token=None): ...

It is called after the new token is stored, with the refresh token (or, when
there was none, the access token) it replaced, so that an app keeping tokens
in its own table can find the row to update. It may be sync or async.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping
from typing import Any

from ..providers.settings import ProviderConfig

__all__ = ["call_update_token"]

log = logging.getLogger("quart_oauthlib")


async def call_update_token(
    config: ProviderConfig, old: Mapping[str, Any], new: Mapping[str, Any]
) -> None:
    """Call ``config.update_token`` (if set) for a refresh that replaced ``old`` by ``new``."""
    callback = config.update_token
    if callback is None:
        return
    refresh_token = old.get("refresh_token")
    # As Authlib: the access token names the row only when there was no refresh token.
    access_token = None if refresh_token else old.get("access_token")
    result = callback(dict(new), refresh_token=refresh_token, access_token=access_token)
    if inspect.isawaitable(result):
        await result
