"""The claim checks of OIDC Core §3.1.3.7 steps 2-5 and 9-13, after the signature held.

Pure functions of the claims and the clock: no I/O, no JOSE library.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Collection, Mapping
from typing import Any, Final

from ...errors import (
    IDTokenAudienceError,
    IDTokenAuthorizedPartyError,
    IDTokenAuthTimeError,
    IDTokenExpiredError,
    IDTokenHashError,
    IDTokenIssuedAtError,
    IDTokenIssuerError,
    IDTokenNonceError,
)

_HASHES: Final = {"256": "sha256", "384": "sha384", "512": "sha512"}


def token_hash(value: str, alg: str) -> str:
    """``at_hash`` / ``c_hash`` of an access token or code (OIDC Core §3.1.3.6, §3.3.2.11).

    The left half of the hash of the ASCII value, with the hash the ``alg``
    uses (SHA-256 for ``RS256``/``ES256``/``HS256``..., SHA-512 for Ed25519),
    base64url-encoded without padding.

    Raises:
        IDTokenHashError: No hash is known for ``alg``.
    """
    try:
        data = value.encode("ascii")
    except UnicodeEncodeError as exc:
        raise IDTokenHashError("The hashed value is not ASCII.") from exc
    if alg in {"EdDSA", "Ed25519"}:
        digest = hashlib.sha512(data).digest()
    elif alg == "Ed448":
        digest = hashlib.shake_256(data).digest(114)
    elif alg[-3:] in _HASHES and alg[:2] in {"RS", "PS", "ES", "HS"}:
        digest = hashlib.new(_HASHES[alg[-3:]], data).digest()
    else:
        raise IDTokenHashError(f"No token hash is defined for alg {alg!r}.")
    half = digest[: len(digest) // 2]
    return base64.urlsafe_b64encode(half).rstrip(b"=").decode("ascii")


def check_claims(
    claims: Mapping[str, Any],
    *,
    alg: str,
    issuer: str,
    client_id: str,
    trusted_audiences: Collection[str],
    now: float,
    leeway: float,
    max_token_age: float | None,
    max_age: float | None,
    nonce: str | None,
    access_token: str | None,
    code: str | None,
    require_at_hash: bool,
    require_c_hash: bool,
) -> None:
    """Run every claim check, raising the error of the first that fails."""
    check_issuer(claims, issuer)
    check_audience(claims, client_id, trusted_audiences)
    check_expiry(claims, now, leeway)
    check_issued_at(claims, now, leeway, max_token_age)
    check_auth_time(claims, now, leeway, max_age)
    check_nonce(claims, nonce)
    check_hash(claims, "at_hash", access_token, alg, required=require_at_hash)
    check_hash(claims, "c_hash", code, alg, required=require_c_hash)


def check_issuer(claims: Mapping[str, Any], issuer: str) -> None:
    """Step 2: ``iss`` is exactly the provider's issuer."""
    if claims.get("iss") != issuer:
        found = claims.get("iss")
        shown = repr(found) if isinstance(found, str) else "none"
        raise IDTokenIssuerError(f"The ID token's iss {shown} is not the issuer {issuer!r}.")


def check_audience(
    claims: Mapping[str, Any], client_id: str, trusted_audiences: Collection[str]
) -> None:
    """Steps 3-5: ``aud`` holds us and no stranger; ``azp`` when several audiences."""
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud
    if not isinstance(audiences, list) or not all(isinstance(a, str) for a in audiences):
        raise IDTokenAudienceError("The ID token's aud is missing or not string(s).")
    if client_id not in audiences:
        raise IDTokenAudienceError(f"The ID token's aud does not include {client_id!r}.")
    strangers = sorted(set(audiences) - {client_id} - set(trusted_audiences))
    if strangers:
        raise IDTokenAudienceError(
            f"The ID token's aud also names audiences not trusted: {', '.join(strangers)}."
        )
    azp = claims.get("azp")
    if len(set(audiences)) > 1 and azp is None:
        raise IDTokenAuthorizedPartyError("The ID token has several audiences but no azp.")
    if azp is not None and azp != client_id:
        raise IDTokenAuthorizedPartyError(
            f"The ID token's azp {azp!r} is not the client id {client_id!r}."
        )


def check_expiry(claims: Mapping[str, Any], now: float, leeway: float) -> None:
    """Step 9: the current time is before ``exp`` (plus the leeway)."""
    exp = _number(claims, "exp", IDTokenExpiredError)
    if now >= exp + leeway:
        raise IDTokenExpiredError(f"The ID token expired {int(now - exp)} seconds ago.")


def check_issued_at(
    claims: Mapping[str, Any], now: float, leeway: float, max_token_age: float | None
) -> None:
    """Step 10: ``iat`` is neither in the future nor older than ``max_token_age``."""
    iat = _number(claims, "iat", IDTokenIssuedAtError)
    if iat > now + leeway:
        raise IDTokenIssuedAtError(f"The ID token was issued {int(iat - now)} seconds from now.")
    if max_token_age is not None and now - iat > max_token_age + leeway:
        raise IDTokenIssuedAtError(
            f"The ID token was issued {int(now - iat)} seconds ago, "
            f"more than the {int(max_token_age)} allowed."
        )


def check_auth_time(
    claims: Mapping[str, Any], now: float, leeway: float, max_age: float | None
) -> None:
    """Step 13: with ``max_age`` requested, ``auth_time`` is there and recent enough."""
    if max_age is None:
        if "auth_time" in claims:
            _number(claims, "auth_time", IDTokenAuthTimeError)
        return
    auth_time = _number(claims, "auth_time", IDTokenAuthTimeError)
    if now - auth_time > max_age + leeway:
        raise IDTokenAuthTimeError(
            f"The user authenticated {int(now - auth_time)} seconds ago, "
            f"more than the max_age of {int(max_age)}."
        )


def check_nonce(claims: Mapping[str, Any], nonce: str | None) -> None:
    """Step 11: when a nonce was sent, the token carries the same one."""
    if nonce is None:
        return
    found = claims.get("nonce")
    if not isinstance(found, str):
        raise IDTokenNonceError("The ID token has no nonce, but one was sent.")
    if not _equal(found, nonce):
        raise IDTokenNonceError("The ID token's nonce is not the one sent.")


def check_hash(
    claims: Mapping[str, Any], name: str, value: str | None, alg: str, *, required: bool
) -> None:
    """``at_hash`` (§3.1.3.8, §3.2.2.9) or ``c_hash`` (§3.3.2.10) matches ``value``.

    Checked whenever both the claim and the value are there; a missing claim
    is an error only when ``required``.
    """
    found = claims.get(name)
    if value is None:
        return
    if found is None:
        if required:
            raise IDTokenHashError(f"The ID token has no {name}, which this flow requires.")
        return
    if not isinstance(found, str) or not _equal(found, token_hash(value, alg)):
        raise IDTokenHashError(f"The ID token's {name} does not match.")


def _number(claims: Mapping[str, Any], name: str, error: type[Exception]) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise error(f"The ID token's {name} is missing or not a number.")
    return float(value)


def _equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
