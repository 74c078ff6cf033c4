"""Which provider the command line talks to: a preset's name, or an issuer URL to discover.

Never imports Quart: presets are plain data, and discovery is the client's.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from ..client.oidc.discovery import expected_issuer, fetch_provider_metadata
from ..errors import ConfigurationError

__all__ = ["Endpoints", "cache_issuer", "resolve"]

_WELL_KNOWN = "/.well-known/openid-configuration"

#: Device authorization endpoints of presets whose providers publish no discovery document.
DEVICE_ENDPOINTS: Mapping[str, str] = {
    "github": "https://github.com/login/device/code",
}


@dataclass(frozen=True)
class Endpoints:
    """What a login needs to know about the provider."""

    issuer: str
    authorization_url: str | None
    token_url: str
    device_authorization_url: str | None
    userinfo_url: str | None
    scope: tuple[str, ...]
    #: The issuer the metadata names, for the RFC 9207 ``iss`` check; None to skip it.
    response_issuer: str | None = None
    #: The provider always sends ``iss`` in authorization responses.
    iss_required: bool = False


def _is_url(selector: str) -> bool:
    return selector.startswith(("https://", "http://"))


def _metadata_url(selector: str) -> str:
    if "/.well-known/" in selector:
        return selector
    return selector.rstrip("/") + _WELL_KNOWN


def _preset(name: str, client_id: str, secret: str | None, settings: Mapping[str, str]) -> Any:
    from ..providers import PRESETS
    from ..providers.settings import resolve_provider

    key = name.lower()
    if key not in PRESETS:
        close = difflib.get_close_matches(key, PRESETS, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ConfigurationError(
            f"Unknown provider {name!r}: give a preset name or the issuer's https:// URL.{hint}"
        )
    given: dict[str, Any] = {"client_id": client_id, **settings}
    if secret is None:
        given["token_endpoint_auth_method"] = "none"
    else:
        given["client_secret"] = secret
    config = resolve_provider(key, given, PRESETS, insecure_transport=False)
    if config.version != 2:
        raise ConfigurationError(f"{name!r} is an OAuth 1 provider; the command line is OAuth 2.")
    return config


def cache_issuer(selector: str, client_id: str, settings: Mapping[str, str]) -> str:
    """The cache key's issuer, known without a network call."""
    if _is_url(selector):
        return expected_issuer(_metadata_url(selector))
    config = _preset(selector, client_id, None, settings)
    url = config.server_metadata_url
    return expected_issuer(url) if url else str(config.token_url)


async def resolve(
    http: aiohttp.ClientSession,
    selector: str,
    client_id: str,
    secret: str | None,
    settings: Mapping[str, str],
    device_url: str | None,
    scope: Sequence[str] | None,
) -> Endpoints:
    """The provider's endpoints, from its preset or its discovery document.

    Raises:
        ConfigurationError: Unknown preset, or a setting is missing.
        DiscoveryError: The discovery document is unusable.
    """
    if _is_url(selector):
        metadata_url = _metadata_url(selector)
        metadata = await fetch_provider_metadata(http, metadata_url)
        device = metadata.get("device_authorization_endpoint")
        offered = set(metadata.scopes_supported)
        wanted = ["openid", "profile"] + (["offline_access"] if "offline_access" in offered else [])
        return Endpoints(
            issuer=expected_issuer(metadata_url),  # as cache_issuer() says, without the network
            authorization_url=metadata.authorization_endpoint,
            token_url=metadata.require("token_endpoint"),
            device_authorization_url=device_url or (device if isinstance(device, str) else None),
            userinfo_url=metadata.userinfo_endpoint,
            scope=tuple(scope) if scope else tuple(wanted),
            response_issuer=metadata.issuer,
            iss_required=metadata.authorization_response_iss_parameter_supported,
        )
    config = _preset(selector, client_id, secret, settings)
    preset_scope = tuple(scope) if scope else tuple(config.scope or ())
    if config.server_metadata_url:
        template = config.issuer if config.issuer and "{" in config.issuer else None
        metadata = await fetch_provider_metadata(
            http,
            config.server_metadata_url,
            # A per-tenant issuer template ({tenantid}) is checked on ID tokens, not here.
            issuer=None if template else config.issuer,
        )
        device = metadata.get("device_authorization_endpoint")
        return Endpoints(
            issuer=expected_issuer(config.server_metadata_url),
            authorization_url=config.authorize_url or metadata.authorization_endpoint,
            token_url=config.token_url or metadata.require("token_endpoint"),
            device_authorization_url=device_url or (device if isinstance(device, str) else None),
            userinfo_url=config.userinfo_url or metadata.userinfo_endpoint,
            scope=preset_scope,
            response_issuer=None if template else metadata.issuer,
            iss_required=not template and metadata.authorization_response_iss_parameter_supported,
        )
    return Endpoints(
        issuer=str(config.token_url),
        authorization_url=config.authorize_url,
        token_url=str(config.token_url),
        device_authorization_url=device_url or DEVICE_ENDPOINTS.get(selector.lower()),
        userinfo_url=config.userinfo_url,
        scope=preset_scope,
    )
