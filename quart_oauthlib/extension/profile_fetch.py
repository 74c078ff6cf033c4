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
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final
from urllib.parse import quote

import aiohttp
from oauthlib.common import add_params_to_uri
from yarl import URL

from ..client.oauth1_session import OAuth1Session
from ..client.oauth2_session import OAuth2Session
from ..errors import ConfigurationError, TokenNotFoundError, UserInfoError
from ..profile import Profile, map_profile
from ..providers.settings import ProviderConfig
from ..storage.base import Token

__all__ = ["MAX_PROFILE_BYTES", "fetch_profile"]

Claims = Callable[[], Awaitable[dict[str, Any] | None]]
UserInfo = Callable[[], Awaitable[dict[str, Any]]]

_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: The largest userinfo answer read (bytes): a profile is a few kilobytes.
MAX_PROFILE_BYTES: Final = 1 << 20
_MAX_REDIRECTS: Final = 3
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})


async def fetch_profile(
    config: ProviderConfig,
    session: OAuth2Session | OAuth1Session,
    token: Token | None,
    *,
    claims: Claims,
    userinfo: UserInfo | None = None,
) -> Profile:
    """The current user's :class:`Profile` at provider ``config.name``.

    Args:
        config: The provider's current config (discovered endpoints filled in).
        session: The user's session, holding ``token``.
        token: The user's token (None: not signed in).
        claims: Gives the ID token claims kept from the login, if any.
        userinfo: The checked OpenID userinfo call, for OpenID providers.

    Raises:
        TokenNotFoundError: The user holds no token for this provider.
        ConfigurationError: The provider has neither a userinfo endpoint nor ID token claims.
        UserInfoError: The answer is unusable, or holds no user id.
    """
    name = config.name
    if not token:
        raise TokenNotFoundError(f"The current user holds no {name!r} token.")
    if not config.userinfo_url:
        kept = await claims()
        if kept is None:
            raise ConfigurationError(
                f"The provider {name!r} has no userinfo endpoint and no ID token claims "
                "were kept for this user."
            )
        return map_profile(kept, config.profile, provider=name)
    if userinfo is not None and not config.userinfo_headers:
        return map_profile(await userinfo(), config.profile, provider=name)
    data = await _fetch(config, session, dict(token))
    return map_profile(data, config.profile, provider=name)


async def _read_limited(resp: aiohttp.ClientResponse, limit: int) -> bytes:
    """The body, or its first ``limit`` bytes and more: a runaway answer is not read whole."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(1 << 16):
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)


def _same_origin_target(name: str, url: str, location: str) -> str:
    """Where a redirect of a profile call leads, refused when it is another origin."""
    here = URL(url)
    there = here.join(URL(location))
    if there.origin() != here.origin():
        raise UserInfoError(
            f"The userinfo endpoint of {name!r} redirected to another origin "
            f"({there.origin()}); the call carries the token in its own header, so the "
            "redirect was not followed."
        )
    return str(there)


def _fill(template: str, values: Mapping[str, Any], *, in_url: bool) -> str:
    def one(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        if value is None:
            raise UserInfoError(f"The token answer has no {match.group(1)!r} for the userinfo URL.")
        return quote(str(value), safe="") if in_url else str(value)

    return _FIELD.sub(one, template)


async def _fetch(
    config: ProviderConfig, session: OAuth2Session | OAuth1Session, token: dict[str, Any]
) -> Any:
    values = {**token, "client_id": config.client_id}
    url = _fill(config.userinfo_url or "", values, in_url=True)
    headers = {"Accept": "application/json"}
    headers.update({k: _fill(v, values, in_url=False) for k, v in config.userinfo_headers.items()})
    templated = "{access_token}" in (config.userinfo_url or "") or any(
        "{access_token}" in v for v in config.userinfo_headers.values()
    )
    kwargs: dict[str, Any] = {"headers": headers}
    if isinstance(session, OAuth2Session):  # a bearer token: it can go elsewhere than the header
        if config.userinfo_token == "query":
            url = add_params_to_uri(url, [("access_token", str(token.get("access_token", "")))])
        kwargs["withhold_token"] = templated or config.userinfo_token == "query"
    # aiohttp drops Authorization on a redirect to another origin, but not a custom
    # header (Shopify's X-Shopify-Access-Token): such calls follow same-origin ones only.
    own_redirects = bool(config.userinfo_headers) or templated
    if own_redirects:
        kwargs["allow_redirects"] = False
    try:
        for _ in range(_MAX_REDIRECTS + 1):
            async with session.request(config.userinfo_method, url, **kwargs) as resp:
                status = resp.status
                location = resp.headers.get("Location")
                if own_redirects and status in _REDIRECTS and location:
                    url = _same_origin_target(config.name, url, location)
                    continue
                body = await _read_limited(resp, MAX_PROFILE_BYTES + 1)
                charset = resp.charset or "utf-8"
            break
        else:
            raise UserInfoError(f"The userinfo endpoint of {config.name!r} redirects too often.")
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise UserInfoError(
            f"The userinfo endpoint of {config.name!r} is unreachable ({type(exc).__name__})."
        ) from exc
    if len(body) > MAX_PROFILE_BYTES:
        raise UserInfoError(
            f"The userinfo answer of {config.name!r} is larger than {MAX_PROFILE_BYTES} bytes.",
            status=status,
        )
    text = body.decode(charset, errors="replace")
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
