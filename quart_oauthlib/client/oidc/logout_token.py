"""Back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.4, §2.6).

The provider POSTs a ``logout_token`` to the client's ``backchannel_logout_uri``
when a user logs out there. Before anyone is logged out, the token is checked,
in this order (each failure a :class:`~quart_oauthlib.errors.LogoutTokenError`
naming the check; the receiver answers 400):

1. a compact JWS, ``typ`` (when present) ``logout+jwt``, ``alg`` not ``none``
   and one accepted; the signature verifies with the provider's keys;
2. ``iss`` is the issuer, ``aud`` holds the client id;
3. ``iat`` is present, not in the future, not older than ``max_age``; ``exp``,
   when present, has not passed;
4. ``events`` holds ``http://schemas.openid.net/event/backchannel-logout`` as a
   JSON object;
5. ``sub`` or ``sid`` (or both) is present, as strings;
6. there is no ``nonce`` (so an ID token cannot pass as a logout token);
7. ``jti`` is present and was never seen before (the caller's single-use store,
   asked last so that a forged token cannot burn a ``jti``).

The metadata to register for the client: ``backchannel_logout_uri`` (the
receiver's https URL) and ``backchannel_logout_session_required`` (true when
the receiver needs ``sid``).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Collection, Iterator, Mapping
from types import MappingProxyType
from typing import Any, Final

import aiohttp

from ...errors import IDTokenError, LogoutTokenError, LogoutTokenReplayError
from .._transport import maybe_await
from .id_token import _parse, _payload_any, _verify
from .jwks import JWKSCache, key_type_for

__all__ = [
    "BACKCHANNEL_LOGOUT_EVENT",
    "DEFAULT_LOGOUT_TOKEN_MAX_AGE",
    "JtiCheck",
    "LogoutToken",
    "validate_logout_token",
]

#: The event a logout token must carry (§2.4).
BACKCHANNEL_LOGOUT_EVENT: Final = "http://schemas.openid.net/event/backchannel-logout"
#: A logout token older than this (``iat``) is refused, in seconds.
DEFAULT_LOGOUT_TOKEN_MAX_AGE: Final = 300.0

#: ``(jti, expires_at) -> True if never seen (and now remembered until expires_at)``.
JtiCheck = Callable[[str, float], "bool | Awaitable[bool]"]


class LogoutToken(Mapping[str, Any]):
    """A validated logout token's claims.

    Attributes:
        claims: The payload's claims.
    """

    __slots__ = ("claims",)

    def __init__(self, claims: Mapping[str, Any]):
        self.claims: Mapping[str, Any] = MappingProxyType(dict(claims))

    def __getitem__(self, name: str) -> Any:
        return self.claims[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.claims)

    def __len__(self) -> int:
        return len(self.claims)

    def __repr__(self) -> str:
        return f"LogoutToken(iss={self.claims.get('iss')!r}, sub={self.sub!r}, sid={self.sid!r})"

    @property
    def sub(self) -> str | None:
        """The user whose sessions end, when the provider names them."""
        value = self.claims.get("sub")
        return value if isinstance(value, str) else None

    @property
    def sid(self) -> str | None:
        """The provider session that ends, when the provider names it."""
        value = self.claims.get("sid")
        return value if isinstance(value, str) else None


async def validate_logout_token(
    http: aiohttp.ClientSession,
    logout_token: str,
    *,
    issuer: str,
    client_id: str,
    jwks: JWKSCache,
    is_new_jti: JtiCheck,
    algorithms: Collection[str] = ("RS256", "PS256", "ES256", "EdDSA"),
    leeway: float = 60.0,
    max_age: float = DEFAULT_LOGOUT_TOKEN_MAX_AGE,
    clock: Callable[[], float] = time.time,
) -> LogoutToken:
    """Validate a back-channel logout token; see the module doc for the checks.

    Args:
        http: The aiohttp session to fetch the provider's keys with.
        logout_token: The ``logout_token`` form field, as posted.
        issuer: The provider's issuer.
        client_id: Our client id.
        jwks: The provider's key cache.
        is_new_jti: Called with the ``jti`` and the time until which to remember
            it; returns True when it was never seen (a single-use store: a Redis
            ``SET NX EX``, a unique SQL key ...). Sync or async.
        algorithms: The signing algorithms accepted (asymmetric only).
        leeway: Clock skew tolerated, in seconds.
        max_age: The oldest ``iat`` accepted, in seconds.
        clock: Seconds since the epoch.

    Raises:
        LogoutTokenError: A check failed (the message names it).
        LogoutTokenReplayError: The ``jti`` was seen before.
        JWKSError: The provider's keys could not be fetched.
    """
    if not isinstance(logout_token, str) or not logout_token:
        raise LogoutTokenError("The logout_token is missing or not a string.")
    claims = await _verified_claims(http, logout_token, jwks, algorithms)
    now = clock()
    _check_issuer_and_audience(claims, issuer, client_id)
    iat = claims.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, (int, float)):
        raise LogoutTokenError("The logout token has no numeric iat.")
    if iat > now + leeway:
        raise LogoutTokenError("The logout token's iat is in the future.")
    if now - iat > max_age + leeway:
        raise LogoutTokenError(f"The logout token is older than {int(max_age)} seconds.")
    exp = claims.get("exp")
    if exp is not None:
        if isinstance(exp, bool) or not isinstance(exp, (int, float)):
            raise LogoutTokenError("The logout token's exp is not a number.")
        if now >= exp + leeway:
            raise LogoutTokenError("The logout token has expired.")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_LOGOUT_EVENT), dict):
        raise LogoutTokenError(
            "The logout token's events lack the back-channel logout event as a JSON object."
        )
    sub, sid = claims.get("sub"), claims.get("sid")
    if sub is None and sid is None:
        raise LogoutTokenError("The logout token has neither sub nor sid.")
    for name, value in (("sub", sub), ("sid", sid)):
        if value is not None and (not isinstance(value, str) or not value):
            raise LogoutTokenError(f"The logout token's {name} is not a non-empty string.")
    if "nonce" in claims:
        raise LogoutTokenError("The logout token carries a nonce, which is forbidden (§2.4).")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise LogoutTokenError("The logout token has no jti.")
    remember_until = float(exp) if isinstance(exp, (int, float)) else iat + max_age + leeway
    if not await maybe_await(is_new_jti(jti, remember_until)):
        raise LogoutTokenReplayError("The logout token's jti was already used.")
    return LogoutToken(claims)


async def _verified_claims(
    http: aiohttp.ClientSession, token: str, jwks: JWKSCache, algorithms: Collection[str]
) -> dict[str, Any]:
    try:
        signed = _parse(token)
        header = signed.headers()
        typ = header.get("typ")
        if typ is not None and (
            not isinstance(typ, str) or typ.lower() not in ("logout+jwt", "application/logout+jwt")
        ):
            raise LogoutTokenError("The logout token's typ is not logout+jwt.")
        alg = header.get("alg")
        if not isinstance(alg, str) or alg.lower() == "none" or alg.startswith("HS"):
            raise LogoutTokenError("The logout token is unsigned, or signed with a secret.")
        if alg not in algorithms or key_type_for(alg) is None:
            raise LogoutTokenError(f"The logout token's alg {alg!r} is not accepted.")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise LogoutTokenError("The logout token's kid is not a string.")
        key = await jwks.get_key(http, kid, alg)
        _verify(signed, key, alg)
        return _payload_any(signed)
    except IDTokenError as exc:
        # The ID token helpers name their checks for ID tokens; say what failed here.
        raise LogoutTokenError(
            f"The logout token failed its signature checks ({type(exc).__name__})."
        ) from exc


def _check_issuer_and_audience(claims: Mapping[str, Any], issuer: str, client_id: str) -> None:
    if claims.get("iss") != issuer:
        raise LogoutTokenError(f"The logout token's iss is not the issuer {issuer!r}.")
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud
    if not isinstance(audiences, list) or client_id not in audiences:
        raise LogoutTokenError(f"The logout token's aud does not include {client_id!r}.")
