"""ID tokens that come with a refreshed access token (OpenID Connect Core 1.0 §12.2).

A refresh may return a new ID token. It is validated like the original
(signature, ``iss``, ``aud``, ``exp``, ``iat``) and must describe the same
login: the same ``iss`` and ``sub``, the original's ``auth_time`` when it has
one, and, should it carry a ``nonce``, the original nonce.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp

from ...errors import RefreshIDTokenError
from .id_token import IDToken, IDTokenValidator

__all__ = ["validate_refreshed_id_token"]


async def validate_refreshed_id_token(
    validator: IDTokenValidator,
    http: aiohttp.ClientSession,
    id_token: str,
    *,
    original: Mapping[str, Any],
    access_token: str | None = None,
) -> IDToken:
    """Validate the ID token of a refresh answer against the login's original ID token.

    Args:
        validator: The provider's validator (signature, ``iss``, ``aud``, times).
        http: The aiohttp session to fetch the provider's keys with.
        id_token: The refreshed ID token (compact JWS).
        original: The original ID token's claims (an :class:`IDToken` or a dict).
        access_token: The refreshed access token, to check ``at_hash`` when present.

    Raises:
        IDTokenError: The token fails a check of §3.1.3.7 (the subclass says which).
        RefreshIDTokenError: Its ``iss``, ``sub``, ``auth_time`` or ``nonce``
            is not the original's.
    """
    refreshed = await validator.validate(http, id_token, access_token=access_token)
    for name in ("iss", "sub"):
        if refreshed.get(name) != original.get(name):
            raise RefreshIDTokenError(
                f"The refreshed ID token's {name} is not the original ID token's (OIDC Core §12.2)."
            )
    if "auth_time" in refreshed and "auth_time" in original:
        if refreshed["auth_time"] != original["auth_time"]:
            raise RefreshIDTokenError(
                "The refreshed ID token's auth_time is not the original login's (OIDC Core §12.2)."
            )
    if "nonce" in refreshed and refreshed["nonce"] != original.get("nonce"):
        raise RefreshIDTokenError(
            "The refreshed ID token carries a nonce other than the original's (OIDC Core §12.2)."
        )
    return refreshed
