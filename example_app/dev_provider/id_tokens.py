"""ID tokens (OpenID Connect Core §2), signed with a key made at start.

This module needs ``joserfc``; :func:`make_signer` returns ``None`` without it
and the provider then simply issues no ID tokens (the example app reads the
user's profile from the userinfo endpoint either way).
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

__all__ = ["IDTokenSigner"]

_ALGORITHM = "RS256"  # the one every OpenID Connect client must support (Core §15.1)


class IDTokenSigner:
    """Signs ID tokens for one issuer; its public key is published as a JWK set.

    The key pair lives in memory only: a restart makes a new one, which is
    fine because clients fetch the JWK set again when they meet an unknown
    ``kid``.
    """

    def __init__(self, issuer: str, lifetime: int) -> None:
        self.issuer = issuer
        self.lifetime = lifetime
        parameters: Any = {"kid": f"dev-{secrets.token_hex(4)}", "use": "sig", "alg": _ALGORITHM}
        self._key = RSAKey.generate_key(2048, parameters=parameters, private=True)

    @property
    def algorithm(self) -> str:
        """The JWS algorithm of the ID tokens, for the discovery document."""
        return _ALGORITHM

    def jwks(self) -> dict[str, Any]:
        """The public half of the key, as a JWK set (RFC 7517 §5)."""
        return dict(KeySet([self._key]).as_dict(private=False))

    def sign(
        self, *, claims: dict[str, Any], audience: str, nonce: str | None, auth_time: int
    ) -> str:
        """An ID token about the user whose ``claims`` (at least ``sub``) are given.

        Args:
            claims: The user's claims; ``sub`` is required.
            audience: The client id the token is for.
            nonce: The ``nonce`` of the authorization request, echoed when given.
            auth_time: When the user signed in at the provider (Unix time).
        """
        now = int(time.time())
        payload = claims | {
            "iss": self.issuer,
            "aud": audience,
            "iat": now,
            "exp": now + self.lifetime,
            "auth_time": auth_time,
        }
        if nonce:
            payload["nonce"] = nonce
        header = {"alg": _ALGORITHM, "kid": self._key.kid, "typ": "JWT"}
        return jwt.encode(header, payload, self._key)
