"""``await oauth.<name>.profile()``: fetch the user's userinfo and map it to a Profile.

The preset says where the userinfo endpoint is, which method and headers it
wants, whether the token goes in the query (Stack Exchange, VK, Weibo) or in a
templated header (``Authorization: OAuth {access_token}``), and how its answer
maps to :class:`~quart_oauthlib.profile.Profile`. ``{name}`` left in the
userinfo URL is filled from the token answer (Weibo's ``{uid}``). OpenID
providers go through :meth:`userinfo`, which checks the ``sub``; a provider
without a userinfo endpoint (Apple) maps its ID token claims.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import aiohttp
from oauthlib.common import add_params_to_uri

from ..errors import ConfigurationError, TokenNotFoundError, UserInfoError
from ..profile import Profile, map_profile
from ..providers.settings import ProviderConfig
from .flows import oidc as _oidc_flow
from .state import OAuthState

if TYPE_CHECKING:
    from .bound import BoundSession

__all__ = ["fetch_profile"]

_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


async def fetch_profile(state: OAuthState, bound: BoundSession, name: str) -> Profile:
    """The current user's :class:`Profile` at provider ``name``.

    Raises:
        TokenNotFoundError: The user holds no token for this provider.
        ConfigurationError: The provider has neither a userinfo endpoint nor ID token claims.
        UserInfoError: The answer is unusable, or holds no user id.
    """
    config = state.provider(name)
    if config.version == 2 and config.server_metadata_url:
        config = await _oidc_flow.resolve(state, config)
    token = await bound.load_token()
    if not token:
        raise TokenNotFoundError(f"The current user holds no {name!r} token.")
    if not config.userinfo_url:
        claims = await _oidc_flow.stored_claims(state, name) if config.version == 2 else None
        if claims is None:
            raise ConfigurationError(
                f"The provider {name!r} has no userinfo endpoint and no ID token claims "
                "were kept for this user."
            )
        return map_profile(claims, config.profile, provider=name)
    if config.version == 2 and config.server_metadata_url and not config.userinfo_headers:
        return map_profile(await bound.userinfo(), config.profile, provider=name)  # type: ignore[union-attr]  # version 2 sessions are OAuth 2 ones
    data = await _fetch(config, bound, dict(token))
    return map_profile(data, config.profile, provider=name)


def _fill(template: str, values: Mapping[str, Any], *, in_url: bool) -> str:
    def one(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        if value is None:
            raise UserInfoError(f"The token answer has no {match.group(1)!r} for the userinfo URL.")
        return quote(str(value), safe="") if in_url else str(value)

    return _FIELD.sub(one, template)


async def _fetch(config: ProviderConfig, bound: BoundSession, token: dict[str, Any]) -> Any:
    values = {**token, "client_id": config.client_id}
    url = _fill(config.userinfo_url or "", values, in_url=True)
    headers = {"Accept": "application/json"}
    headers.update({k: _fill(v, values, in_url=False) for k, v in config.userinfo_headers.items()})
    templated = "{access_token}" in (config.userinfo_url or "") or any(
        "{access_token}" in v for v in config.userinfo_headers.values()
    )
    kwargs: dict[str, Any] = {"headers": headers}
    if config.version == 2:
        if config.userinfo_token == "query":
            url = add_params_to_uri(url, [("access_token", str(token.get("access_token", "")))])
        kwargs["withhold_token"] = templated or config.userinfo_token == "query"
    try:
        async with bound.request(config.userinfo_method, url, **kwargs) as resp:
            status = resp.status
            text = await resp.text()
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise UserInfoError(
            f"The userinfo endpoint of {config.name!r} is unreachable ({type(exc).__name__})."
        ) from exc
    if status >= 400:
        raise UserInfoError(
            f"The userinfo endpoint of {config.name!r} answered status {status}.", status=status
        )
    try:
        return json.loads(text)
    except ValueError as exc:
        raise UserInfoError(
            f"The userinfo answer of {config.name!r} is not JSON.", status=status
        ) from exc
