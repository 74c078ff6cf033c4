"""DPoP proofs (RFC 9449), checked the way an authorization or resource server must.

A proof is a JWT that the client signs with its own key, whose public half
travels in the proof's header. The token the provider issues is bound to that
key (``cnf.jkt``, the RFC 7638 thumbprint), so that a stolen token is useless
without it. joserfc verifies the signatures and computes the thumbprints.

This module needs ``joserfc``; without it the provider does not offer DPoP.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey, RSAKey, import_key

__all__ = ["SIGNING_ALGORITHMS", "DPoPChecker", "DPoPProofError", "access_token_hash"]

#: The proof algorithms this provider accepts (and advertises): asymmetric only (§4.2).
SIGNING_ALGORITHMS: Final = ("ES256", "ES384", "EdDSA", "PS256", "RS256")
#: How old (or early, for a client's clock ahead of ours) a proof's ``iat`` may be.
PROOF_WINDOW: Final = 60
#: Seconds a server nonce is good for; the previous one is still taken meanwhile.
NONCE_LIFETIME: Final = 300
#: The most ``jti`` remembered; a flood of proofs cannot grow the provider forever.
_MAX_JTIS: Final = 10_000


class DPoPProofError(Exception):
    """A proof that fails a check; ``error`` is the RFC 9449 error code to answer.

    Attributes:
        error: ``invalid_dpop_proof``, or ``use_dpop_nonce`` when the proof
            lacks (or has a stale) server nonce.
        description: What was wrong, for the ``error_description``.
    """

    def __init__(self, description: str, error: str = "invalid_dpop_proof") -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def access_token_hash(access_token: str) -> str:
    """``ath``: base64url SHA-256 of the access token (RFC 9449 §4.2)."""
    digest = hashlib.sha256(access_token.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _htu(url: str) -> str:
    """The URL as a proof's ``htu`` names it: no query, no fragment (§4.3)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, "", ""))


@dataclass
class _Nonces:
    """The server nonce: rotated every :data:`NONCE_LIFETIME` seconds, the last one still taken."""

    current: str = ""
    previous: str = ""
    made_at: float = 0.0

    def now(self, clock: float) -> str:
        if clock - self.made_at >= NONCE_LIFETIME:
            self.previous, self.current = self.current, secrets.token_urlsafe(24)
            self.made_at = clock
        return self.current

    def accepts(self, nonce: Any, clock: float) -> bool:
        self.now(clock)
        return isinstance(nonce, str) and any(
            known and hmac.compare_digest(nonce, known) for known in (self.current, self.previous)
        )


class DPoPChecker:
    """Checks DPoP proofs for one provider, which remembers their ``jti`` and its nonce.

    Args:
        require_nonce: Demand a server nonce in every proof (``use_dpop_nonce``).
        clock: Seconds since the epoch (tests may pass another).
    """

    def __init__(self, *, require_nonce: bool, clock: Callable[[], float] = time.time) -> None:
        self.require_nonce = require_nonce
        self._clock = clock
        self._nonces = _Nonces()
        self._seen: OrderedDict[str, float] = OrderedDict()  # jti -> when it may be forgotten

    def nonce(self) -> str | None:
        """The nonce to send in a ``DPoP-Nonce`` header, or None if none is required."""
        return self._nonces.now(self._clock()) if self.require_nonce else None

    def check(
        self, proofs: list[str], *, method: str, url: str, access_token: str | None = None
    ) -> str:
        """Check the request's ``DPoP`` header(s); return the key's thumbprint (``jkt``).

        Args:
            proofs: Every ``DPoP`` header value of the request: exactly one is allowed.
            method: The request's HTTP method (``htm``).
            url: The request's URL (``htu``, without query and fragment).
            access_token: At a resource server, the token it came with (``ath``).

        Raises:
            DPoPProofError: Any check failed.
        """
        if len(proofs) != 1:
            raise DPoPProofError("Send exactly one DPoP header.")
        header, key = self._header_and_key(proofs[0])
        try:
            claims = jwt.decode(proofs[0], key, algorithms=[header["alg"]]).claims
        except (JoseError, ValueError, TypeError) as e:
            raise DPoPProofError(f"The proof's signature or claims are invalid ({e}).") from e
        self._check_claims(claims, method=method, url=url, access_token=access_token)
        return str(key.thumbprint())

    def _header_and_key(self, proof: str) -> tuple[dict[str, Any], Any]:
        try:
            header = dict(jws.extract_compact(proof.encode("ascii")).protected)
        except (JoseError, ValueError, TypeError, UnicodeError) as e:
            raise DPoPProofError("The DPoP header is not a compact JWS.") from e
        if header.get("typ") != "dpop+jwt":
            raise DPoPProofError('The proof\'s typ must be "dpop+jwt".')
        if header.get("alg") not in SIGNING_ALGORITHMS:
            raise DPoPProofError(f"The proof's alg must be one of {', '.join(SIGNING_ALGORITHMS)}.")
        if not isinstance(header.get("jwk"), dict):
            raise DPoPProofError("The proof's header has no jwk.")
        try:
            key = import_key(header["jwk"])
        except (JoseError, ValueError, TypeError, KeyError) as e:
            raise DPoPProofError("The proof's jwk is not a usable key.") from e
        # A public, asymmetric key only: a private one in a header is a leaked key (§4.3).
        if not isinstance(key, (ECKey, RSAKey, OKPKey)) or key.is_private:
            raise DPoPProofError("The proof's jwk must be a public asymmetric key.")
        return header, key

    def _check_claims(
        self, claims: dict[str, Any], *, method: str, url: str, access_token: str | None
    ) -> None:
        now = self._clock()
        jti, iat = claims.get("jti"), claims.get("iat")
        if not isinstance(jti, str) or not 0 < len(jti) <= 256:
            raise DPoPProofError("The proof has no jti.")
        if claims.get("htm") != method.upper():
            raise DPoPProofError("The proof's htm is not this request's method.")
        if not isinstance(claims.get("htu"), str) or _htu(claims["htu"]) != _htu(url):
            raise DPoPProofError("The proof's htu is not this request's URL.")
        if isinstance(iat, bool) or not isinstance(iat, int | float) or not math.isfinite(iat):
            raise DPoPProofError("The proof has no iat.")  # (Python's JSON reads NaN too)
        if abs(now - iat) > PROOF_WINDOW:
            raise DPoPProofError("The proof's iat is too far from now: make a fresh proof.")
        if access_token is not None:
            ath = claims.get("ath")
            expected = access_token_hash(access_token)
            if not isinstance(ath, str) or not hmac.compare_digest(ath, expected):
                raise DPoPProofError("The proof's ath is not the hash of this access token.")
        if self.require_nonce and not self._nonces.accepts(claims.get("nonce"), now):
            raise DPoPProofError("This server requires a DPoP nonce.", error="use_dpop_nonce")
        # Only a proof that passed every other check is remembered: one refused for its
        # nonce is not a replay, the client answers with a new proof (and a new jti).
        self._remember_jti(jti, now)

    def _remember_jti(self, jti: str, now: float) -> None:
        """Refuse a ``jti`` seen within the window (§11.1): a replayed proof."""
        while self._seen and next(iter(self._seen.values())) < now:
            self._seen.popitem(last=False)
        if jti in self._seen:
            raise DPoPProofError("This proof was used before (its jti is not new).")
        self._seen[jti] = now + 2 * PROOF_WINDOW
        if len(self._seen) > _MAX_JTIS:
            self._seen.popitem(last=False)
