"""Settings written for Authlib or Flask-Dance, translated to ours or refused by name.

A ported app keeps its registration::

    oauth.register("github", client_id=..., client_secret=...,
                   access_token_url="https://github.com/login/oauth/access_token",
                   authorize_url="https://github.com/login/oauth/authorize",
                   api_base_url="https://api.github.com/",
                   client_kwargs={"scope": "user:email"})

Names with one meaning in both libraries are renamed (``access_token_url`` is
OAuth 2's ``token_url``, and keeps its OAuth 1 meaning); options we answer
elsewhere (timeouts, proxies, TLS) are refused with a message naming ours,
never dropped silently.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, Final

from ..errors import ConfigurationError

__all__ = ["FOREIGN_KEYS", "check_update_token", "translate_foreign"]

#: Another library's name -> ours, for settings that mean the same.
RENAMED: Final[Mapping[str, str]] = {
    "authorization_url": "authorize_url",  # Flask-Dance
    "authorization_url_params": "authorize_params",  # Flask-Dance
    "base_url": "api_base_url",  # Flask-Dance
    "userinfo_endpoint": "userinfo_url",  # Authlib
    "access_token_params": "token_params",  # Authlib
    "refresh_token_url": "refresh_url",  # Authlib
}
#: Another library's settings we do not take, with what to use instead.
REFUSED: Final[Mapping[str, str]] = {
    "fetch_token": "tokens are loaded from the token store: set OAUTH_TOKEN_STORE",
    "request_token_params": "OAuth 1 request-token parameters are not configurable here",
    "client_auth_methods": "set 'token_endpoint_auth_method'",
}
#: ``client_kwargs`` keys -> our setting.
CLIENT_KWARGS: Final[Mapping[str, str]] = {
    "scope": "scope",
    "token_endpoint_auth_method": "token_endpoint_auth_method",
    "code_challenge_method": "pkce",
}
_CLIENT_KWARGS_REFUSED: Final[Mapping[str, str]] = {
    "timeout": "set OAUTH_HTTP_TIMEOUT",
    "verify": "set OAUTH_CA_BUNDLE, or QuartOAuth(ssl=...)",
    "proxies": "pass QuartOAuth(session_factory=...) making an aiohttp session with a proxy",
    "proxy": "pass QuartOAuth(session_factory=...) making an aiohttp session with a proxy",
    "token_placement": "set 'userinfo_token' ('header' or 'query') for the userinfo call",
    "response_type": "only the authorization code flow ('code') is used for logins",
}
#: The foreign keys ``resolve_provider`` lets through to :func:`translate_foreign`.
FOREIGN_KEYS: Final = frozenset({"client_kwargs", *RENAMED, *REFUSED})


def translate_foreign(
    where: str, merged: Mapping[str, Any], settings: Mapping[str, Any], version: int
) -> dict[str, Any]:
    """``merged`` with foreign names replaced by ours.

    Args:
        where: ``OAUTH_PROVIDERS['name']``, for messages.
        merged: The preset with the user's settings laid over it.
        settings: The user's own settings (to tell them from the preset's).
        version: The OAuth version of the provider.

    Raises:
        ConfigurationError: A foreign setting has no equivalent, or contradicts ours.
    """
    result = dict(merged)
    for key, why in REFUSED.items():
        if key in settings:
            raise ConfigurationError(f"{where}: {key!r} (Authlib) is not supported: {why}.")
    for theirs, ours in RENAMED.items():
        if theirs in settings:
            _adopt(where, result, settings, theirs, ours, result.pop(theirs))
    if version == 2 and "access_token_url" in settings:
        # Authlib's name of the OAuth 2 token endpoint; for OAuth 1 it is already ours.
        url = result.pop("access_token_url")
        _adopt(where, result, settings, "access_token_url", "token_url", url)
    kwargs = result.pop("client_kwargs", None)
    if kwargs is not None:
        if not isinstance(kwargs, Mapping):
            raise ConfigurationError(f"{where}: client_kwargs must be a dict.")
        for key, value in kwargs.items():
            target = CLIENT_KWARGS.get(key)
            if target is None:
                why = _CLIENT_KWARGS_REFUSED.get(
                    key, f"the settings it may hold are {', '.join(sorted(CLIENT_KWARGS))}"
                )
                raise ConfigurationError(
                    f"{where}: client_kwargs[{key!r}] (Authlib) is not supported: {why}."
                )
            _adopt(where, result, settings, f"client_kwargs[{key!r}]", target, value)
    return result


def _adopt(
    where: str,
    result: dict[str, Any],
    settings: Mapping[str, Any],
    theirs: str,
    ours: str,
    value: Any,
) -> None:
    """Set ``ours`` from ``theirs``, unless the user also set ``ours`` to something else."""
    if ours in settings and settings[ours] != value:
        raise ConfigurationError(
            f"{where}: both {theirs!r} and {ours!r} are set, differently; keep {ours!r}."
        )
    result[ours] = value


def check_update_token(where: str, callback: Any) -> Callable[..., Any] | None:
    """``update_token`` must be a callable taking the token (and optional keywords)."""
    if callback is None:
        return None
    if not callable(callback):
        raise ConfigurationError(
            f"{where}: update_token must be a callable, "
            "update_token(token, refresh_token=None, access_token=None)."
        )
    try:
        inspect.signature(callback).bind({}, refresh_token=None, access_token=None)
    except TypeError as exc:
        raise ConfigurationError(
            f"{where}: update_token must accept (token, refresh_token=None, "
            f"access_token=None), as Authlib's does ({exc})."
        ) from exc
    except ValueError:
        pass  # a builtin without a signature: trust it
    result: Callable[..., Any] = callback
    return result
