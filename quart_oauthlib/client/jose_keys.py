"""Private keys for what the client signs: client assertions, request objects, DPoP proofs.

Keys come as a JWK dict (with its private part), a joserfc key, or a PEM file
path with the ``kid`` to publish it under. Everything is joserfc's: we never
sign anything ourselves. Needs the ``jose`` extra.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from typing import Any, Final, TypeAlias

from joserfc import jwt
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import ECKey, JWKRegistry, Key, OctKey, OKPKey, RSAKey

from ..errors import ConfigurationError

__all__ = [
    "PrivateKeySource",
    "algorithm_for",
    "load_private_key",
    "public_jwk",
    "sign_jwt",
]

#: A private key: a JWK dict, a joserfc key, or ``(pem_path, kid)``.
PrivateKeySource: TypeAlias = Mapping[str, Any] | Key | tuple[str | os.PathLike[str], str]

#: The signing algorithm each key shape gets when the JWK names none.
_CURVE_ALGORITHMS: Final = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}


def load_private_key(source: PrivateKeySource) -> Key:
    """Import a private signing key.

    Args:
        source: A JWK dict with its private members, a joserfc key, or a
            ``(pem_path, kid)`` pair (the ``kid`` is published in JWT headers,
            so that the provider finds the matching public key).

    Raises:
        ConfigurationError: The key cannot be read, or holds no private part.
    """
    if isinstance(source, (ECKey, RSAKey, OKPKey, OctKey)):
        key: Key = source
    elif isinstance(source, tuple):
        key = _from_pem(*source)
    elif isinstance(source, Mapping):
        try:
            key = JWKRegistry.import_key(dict(source))
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise ConfigurationError(f"The JWK cannot be imported ({type(exc).__name__}).") from exc
    else:
        raise ConfigurationError("A private key must be a JWK dict or a (pem_path, kid) pair.")
    if not isinstance(key, OctKey) and not key.is_private:
        raise ConfigurationError("The key has no private part: a public key cannot sign.")
    return key


def _from_pem(path: str | os.PathLike[str], kid: str) -> Key:
    if not kid or not isinstance(kid, str):
        raise ConfigurationError("A PEM key needs a kid: pass (pem_path, kid).")
    try:
        with open(path, "rb") as handle:
            pem = handle.read()
    except OSError as exc:
        raise ConfigurationError(f"The key file {os.fspath(path)!r} cannot be read.") from exc
    for key_type in (ECKey, RSAKey, OKPKey):
        try:
            key: Key = key_type.import_key(pem, {"kid": kid})
        except (JoseError, ValueError, TypeError):
            continue
        return key
    raise ConfigurationError(f"The key file {os.fspath(path)!r} holds no EC, RSA or OKP key.")


def algorithm_for(key: Key) -> str:
    """The JWS ``alg`` to sign with: the key's own ``alg``, or the usual one for its shape.

    EC keys sign with the ES algorithm of their curve, RSA keys with PS256 (the
    FAPI 2.0 choice, rather than RS256), Ed25519 keys with EdDSA, secrets with HS256.
    """
    named = key.get("alg")
    if isinstance(named, str) and named:
        return named
    if isinstance(key, ECKey):
        alg = _CURVE_ALGORITHMS.get(str(key.get("crv")))
        if alg is None:
            raise ConfigurationError(f"EC curve {key.get('crv')!r} cannot sign a JWS.")
        return alg
    if isinstance(key, RSAKey):
        return "PS256"
    if isinstance(key, OKPKey):
        if key.get("crv") != "Ed25519":
            raise ConfigurationError(f"OKP curve {key.get('crv')!r} cannot sign a JWS.")
        return "EdDSA"
    return "HS256"


def public_jwk(key: Key) -> dict[str, Any]:
    """The key's public members, as a JWK dict (what a DPoP proof's header carries)."""
    return dict(key.as_dict(private=False))


def sign_jwt(header: dict[str, Any], claims: dict[str, Any], key: Key, alg: str) -> str:
    """Sign a JWT with joserfc, for ``alg`` only."""
    with warnings.catch_warnings():
        # joserfc flags "EdDSA" as deprecated in favour of "Ed25519" (RFC 9864); providers
        # and FAPI 2.0 still name it EdDSA, and both sign the same way.
        warnings.simplefilter("ignore", SecurityWarning)
        return jwt.encode(header, claims, key, algorithms=[alg])
