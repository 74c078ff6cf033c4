"""OpenID Connect, framework-free: discovery, the provider's keys, ID tokens, userinfo.

Discovery, userinfo and the RFC 9207 check work with the base install. The
ID token validator and the key cache need the ``jose`` extra
(``pip install quart-oauthlib[jose]``, which brings joserfc); they are
imported on first use, so that a missing joserfc only matters to those who
validate ID tokens.

Typical use, once per provider::

    discovery = ProviderDiscovery("https://id.example/.well-known/openid-configuration")
    metadata = await discovery.load(http)
    validator = IDTokenValidator.for_provider(metadata, client_id="...")

and once per login::

    check_authorization_response_issuer(metadata, callback_url)
    token = await session.fetch_token(metadata.token_endpoint, authorization_response=callback_url)
    id_token = await validator.validate(session.http, token["id_token"], nonce=nonce)
    claims = await fetch_userinfo(session, metadata.userinfo_endpoint, id_token=id_token)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .authorization_response import check_authorization_response_issuer
from .discovery import (
    ProviderDiscovery,
    ProviderMetadata,
    expected_issuer,
    fetch_provider_metadata,
)
from .userinfo import check_userinfo_subject, fetch_userinfo

if TYPE_CHECKING:
    from .id_token import IDToken, IDTokenValidator, token_hash
    from .jwks import JWKSCache

__all__ = [
    "IDToken",
    "IDTokenValidator",
    "JWKSCache",
    "ProviderDiscovery",
    "ProviderMetadata",
    "check_authorization_response_issuer",
    "check_userinfo_subject",
    "expected_issuer",
    "fetch_provider_metadata",
    "fetch_userinfo",
    "token_hash",
]

#: Names that need joserfc, and the module each lives in.
_JOSE_NAMES = {
    "IDToken": ".id_token",
    "IDTokenValidator": ".id_token",
    "token_hash": ".id_token",
    "JWKSCache": ".jwks",
}


def __getattr__(name: str) -> Any:
    module = _JOSE_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        value = getattr(importlib.import_module(module, __name__), name)
    except ModuleNotFoundError as exc:
        if exc.name != "joserfc" and not (exc.name or "").startswith("joserfc."):
            raise
        raise ImportError(
            f"{name} needs joserfc: install the jose extra (pip install quart-oauthlib[jose])."
        ) from exc
    globals()[name] = value
    return value
