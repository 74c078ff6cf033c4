"""Putting an OAuth 2 token on a request: shared by ``OAuth2Session`` and the
``OAuth2`` middleware for a plain ``aiohttp.ClientSession``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any, Final

import aiohttp
from oauthlib.oauth2 import Client, TokenExpiredError, WebApplicationClient
from oauthlib.oauth2.rfc6749.clients.base import AUTH_HEADER
from oauthlib.oauth2.rfc6749.parameters import parse_expires

from ..errors import ConfigurationError
from ._redirect_chain import enter_chain, leave_chain
from ._transport import require_secure_transport

#: Refresh this many seconds before the provider's expiry, for clock skew and latency.
DEFAULT_REFRESH_MARGIN: Final = 30.0
#: The margin never exceeds this share of the token's lifetime: a token that lives
#: 20 s is refreshed 5 s early, not 30 s early (which would call it expired at once).
MARGIN_SHARE_OF_LIFETIME: Final = 0.25

_base_add_token = Client.add_token


def expires_at_of(token: Mapping[str, Any]) -> float | None:
    """When a token expires (epoch seconds), from ``expires_at`` or ``expires_in``."""
    if not token:
        return None
    return parse_expires(token)[2]  # type: ignore[arg-type]  # it only reads: any mapping does


def lifetime_of(token: Mapping[str, Any]) -> float | None:
    """How long a token lived when it was issued (its ``expires_in``), or None if unknown."""
    value = token.get("expires_in") if token else None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        lifetime = float(value)
    except (ValueError, OverflowError):
        return None
    return lifetime if math.isfinite(lifetime) else None


def margin_for(margin: float, lifetime: float | None) -> float:
    """The refresh margin for a token of ``lifetime`` seconds.

    At most :data:`MARGIN_SHARE_OF_LIFETIME` of the lifetime, so that a token is
    usable when it arrives however short-lived it is. An unknown lifetime keeps
    the full margin.
    """
    if lifetime is None:
        return margin
    return max(0.0, min(margin, lifetime * MARGIN_SHARE_OF_LIFETIME))


def send_deadline(expires_at: float | None, margin: float, lifetime: float | None) -> float:
    """When a token stops being sent: its expiry less the scaled margin (infinity if none).

    Sessions and the middleware work it out when the token or the margin is set, so a
    request only compares it with the clock.
    """
    if expires_at is None:
        return math.inf
    return expires_at - margin_for(margin, lifetime)


def token_expired(token: Mapping[str, Any], margin: float) -> bool:
    """True if ``token`` should no longer be sent: :func:`is_expired` with a scaled margin."""
    return is_expired(expires_at_of(token), margin_for(margin, lifetime_of(token)))


def load_token(client: Client, token: Mapping[str, Any] | None) -> None:
    """Give an oauthlib client a token (or none), as requests-oauthlib's setter does."""
    copy = client.token = dict(token) if token else {}
    client.access_token = None
    client.refresh_token = None
    # oauthlib's own expiry bookkeeping, absent from its stubs; reset with the token.
    setattr(client, "_expires_at", None)  # noqa: B010
    if copy:
        client.populate_token_attributes(copy)  # it only reads the dict: no second copy


def is_expired(expires_at: float | None, margin: float) -> bool:
    """True if a token expiring at ``expires_at`` should no longer be sent."""
    return expires_at is not None and expires_at - margin <= time.time()


def sends_plain_bearer(client: Client) -> bool:
    """Whether ``client`` puts a Bearer token in the header as :func:`authorization_value` does."""
    return (
        type(client).add_token is _base_add_token
        and client.default_token_placement == AUTH_HEADER
        and str(client.token_type).lower() == "bearer"
    )


def adopted_bearer(token: Mapping[str, Any], margin: float) -> tuple[str, float] | None:
    """What a plain-Bearer session given ``token`` would send, and until when.

    ``(Authorization value, send deadline)`` worked out from the dict alone, as
    the session's token setter and :func:`authorization_value` would, for a
    token with a non-empty access token of type Bearer (or none) and a usable
    expiry. None for anything else, which takes the session's full path.
    """
    access = token.get("access_token")
    if access.__class__ is not str or not access:
        return None
    kind = token.get("token_type", "Bearer")
    if kind != "Bearer" and (kind.__class__ is not str or kind.lower() != "bearer"):
        return None
    expires_at: Any = token.get("expires_at")
    lifetime: Any = token.get("expires_in")
    kind_of_expiry = expires_at.__class__
    if (kind_of_expiry is int or (kind_of_expiry is float and math.isfinite(expires_at))) and (
        lifetime is None or lifetime.__class__ is int
    ):
        # A stored token's usual shape, for which oauthlib's parse_expires gives
        # expires_at as it is, and margin_for() spelt out: this runs on every
        # protected request.
        if lifetime is not None:
            share = lifetime * MARGIN_SHARE_OF_LIFETIME
            if share < margin:
                margin = share
            if margin < 0.0:
                margin = 0.0
        return f"Bearer {access}", expires_at - margin
    expiry = _parsed_expiry(token)
    if expiry is None:
        return None
    return f"Bearer {access}", expiry - margin_for(margin, lifetime_of(token))


def _parsed_expiry(token: Mapping[str, Any]) -> float | None:
    """The expiry a session's token setter finds in ``token`` (infinity for none), or
    None where the setter would raise or never let the token be sent."""
    try:
        expiry = parse_expires(token)[2]  # type: ignore[arg-type]  # any mapping does
    except (ValueError, TypeError, OverflowError):
        return None  # the session's setter raises the same: let it
    if expiry is None:
        return math.inf
    if expiry.__class__ is not int and expiry.__class__ is not float:
        return None
    return float(expiry) if math.isfinite(expiry) else None


def authorization_value(client: Client) -> str | None:
    """The ``Authorization`` value for the common case, or None to let oauthlib decide.

    Bearer tokens in the header are by far the most common shape; building the
    header directly skips oauthlib's generic path on every request.
    """
    if client.access_token and sends_plain_bearer(client):
        return f"Bearer {client.access_token}"
    return None


def add_token(
    client: Client, method: str, url: str, headers: dict[str, str], body: Any
) -> tuple[str, dict[str, str], Any]:
    """Put the client's token on a request (header, query or body, as configured)."""
    value = authorization_value(client)
    if value is not None:
        headers["Authorization"] = value
        return url, headers, body
    new_url, new_headers, new_body = client.add_token(
        url,
        http_method=method,  # type: ignore[arg-type]  # stubs want a Literal; any verb works
        body=body,
        headers=headers,
    )
    return new_url, dict(new_headers or {}), new_body


class OAuth2:
    """Adds an OAuth 2 token to every request of an ``aiohttp.ClientSession`` you own.

    An aiohttp client middleware::

        auth = OAuth2(client_id, token=token)
        async with aiohttp.ClientSession(middlewares=(auth,)) as http:
            resp = await http.get("https://api.example.com/me")

    The token goes in the ``Authorization`` header, and never to another origin
    than the one a request was made to (redirects across origins drop it).
    An expired token raises ``oauthlib.oauth2.TokenExpiredError``; for automatic
    refresh use :class:`~quart_oauthlib.OAuth2Session`.

    Args:
        client_id: The client id, when ``client`` is not given.
        client: An ``oauthlib.oauth2.Client`` (``WebApplicationClient`` by default).
        token: The token dict.
        refresh_margin: Treat the token as expired this many seconds early (at
            most a quarter of its lifetime, see :func:`margin_for`).
    """

    __slots__ = ("_client", "_expires_at", "_fresh_until", "_lifetime", "_refresh_margin")

    def __init__(
        self,
        client_id: str | None = None,
        client: Client | None = None,
        token: Mapping[str, Any] | None = None,
        *,
        refresh_margin: float = 0.0,
    ):
        self._client: Client = client or WebApplicationClient(client_id)  # type: ignore[arg-type]  # oauthlib accepts None
        if self._client.default_token_placement != AUTH_HEADER:
            raise ConfigurationError(
                "The OAuth2 middleware puts tokens in the Authorization header only; "
                "use OAuth2Session for query or body placement."
            )
        self._expires_at: float | None = None
        self._lifetime: float | None = None
        self.refresh_margin = refresh_margin
        self.token = token or {}

    @property
    def token(self) -> dict[str, Any]:
        """The token dict in use."""
        token: dict[str, Any] = self._client.token
        return token

    @token.setter
    def token(self, value: Mapping[str, Any]) -> None:
        load_token(self._client, value)
        self._expires_at = expires_at_of(value)
        self._lifetime = lifetime_of(value)
        self._fresh_until = self._deadline()

    @property
    def refresh_margin(self) -> float:
        """Treat the token as expired this many seconds early (scaled for short-lived ones)."""
        return self._refresh_margin

    @refresh_margin.setter
    def refresh_margin(self, value: float) -> None:
        self._refresh_margin = value
        self._fresh_until = self._deadline()

    def _deadline(self) -> float:
        return send_deadline(self._expires_at, self._refresh_margin, self._lifetime)

    async def __call__(
        self, request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        """Sign ``request`` (unless it is a cross-origin redirect hop) and send it."""
        _, may_sign = enter_chain(request)
        if may_sign and self._client.access_token:
            if time.time() >= self._fresh_until:
                raise TokenExpiredError()
            require_secure_transport(request.url)
            headers: dict[str, str] = {}
            add_token(self._client, request.method, str(request.url), headers, None)
            request.headers.update(headers)
        response = await handler(request)
        leave_chain(response)
        return response
