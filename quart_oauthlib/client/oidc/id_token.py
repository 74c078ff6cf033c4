"""ID token validation, exactly as OpenID Connect Core 1.0 §3.1.3.7 asks (and §3.2.2.11).

The checks, in the order they run, each with its own error class:

1. A compact JWS (an encrypted token is refused)        IDTokenMalformedError
2. ``alg`` is not ``none``, is one the provider
   advertises, and fits the key; ``HS*`` only with the
   client secret, never with a provider's public key     IDTokenAlgorithmError
3. The key named by ``kid`` exists (one refetch)        IDTokenKeyNotFoundError
4. The signature verifies (joserfc)                      IDTokenSignatureError
5. The payload is a JSON object with a string ``sub``    IDTokenMalformedError
6. ``iss`` is exactly the provider's issuer              IDTokenIssuerError
7. ``aud`` holds our client id, and no stranger          IDTokenAudienceError
8. ``azp`` present when several audiences; if present,
   it is our client id                                   IDTokenAuthorizedPartyError
9. ``exp`` has not passed (beyond the leeway)            IDTokenExpiredError
10. ``iat`` is not in the future, nor too old            IDTokenIssuedAtError
11. ``auth_time`` is recent enough when ``max_age`` was
    requested                                            IDTokenAuthTimeError
12. ``nonce`` is the one sent                            IDTokenNonceError
13. ``at_hash`` / ``c_hash`` match (required in the
    implicit and hybrid flows)                           IDTokenHashError

The signature is checked before any claim, so a forged token is reported as
forged. No message ever quotes the token, the nonce or a hash.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable, Collection, Iterator, Mapping
from types import MappingProxyType
from typing import Any, Final, Literal, get_args

import aiohttp
from joserfc import jws
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import Key, OctKey

from ...errors import (
    ConfigurationError,
    IDTokenAlgorithmError,
    IDTokenMalformedError,
    IDTokenSignatureError,
)
from ._claims import check_claims, token_hash
from .discovery import ProviderMetadata
from .jwks import JWKSCache, key_type_for

__all__ = [
    "DEFAULT_LEEWAY",
    "DEFAULT_MAX_TOKEN_AGE",
    "Flow",
    "IDToken",
    "IDTokenValidator",
    "token_hash",
]

#: Clock skew tolerated on ``exp``, ``iat`` and ``auth_time``, in seconds.
DEFAULT_LEEWAY: Final = 60.0
#: An ID token whose ``iat`` is older than this is refused, in seconds.
DEFAULT_MAX_TOKEN_AGE: Final = 600.0

#: Which flow delivered the token: it decides which checks are mandatory.
Flow = Literal["code", "implicit", "hybrid"]


class IDToken(Mapping[str, Any]):
    """A validated ID token: its claims (as a read-only mapping) and its header.

    Attributes:
        claims: The payload's claims.
        header: The JOSE header (``alg``, ``kid``...).
    """

    __slots__ = ("claims", "header")

    def __init__(self, claims: Mapping[str, Any], header: Mapping[str, Any]):
        self.claims: Mapping[str, Any] = MappingProxyType(dict(claims))
        self.header: Mapping[str, Any] = MappingProxyType(dict(header))

    def __getitem__(self, name: str) -> Any:
        return self.claims[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.claims)

    def __len__(self) -> int:
        return len(self.claims)

    def __repr__(self) -> str:
        return f"IDToken(iss={self.claims.get('iss')!r}, sub={self.sub!r})"

    @property
    def sub(self) -> str:
        """The subject: the user's stable id at this provider."""
        return str(self.claims["sub"])

    @property
    def issuer(self) -> str:
        """The issuer (``iss``)."""
        return str(self.claims["iss"])


class IDTokenValidator:
    """Validates the ID tokens of one client at one provider.

    Holds configuration only (and the provider's key cache); everything about
    one login (the nonce, the access token, the code) is passed to
    :meth:`validate`. Use :meth:`for_provider` to build it from discovery.

    Args:
        issuer: The provider's issuer; ``iss`` must equal it exactly.
        client_id: Our client id; ``aud`` must hold it.
        jwks: The provider's key cache.
        algorithms: The ``alg`` values accepted: those the provider
            advertises (``none`` is always refused).
        client_secret: Needed only for ``HS*`` tokens, which are verified with
            it (OIDC Core §10.1) and never with a public key.
        trusted_audiences: Audiences besides ``client_id`` that may appear in
            ``aud``; any other makes the token invalid (§3.1.3.7 step 3).
        leeway: Clock skew tolerated, in seconds.
        max_token_age: The oldest ``iat`` accepted, in seconds; None for no limit.
        clock: Wall-clock seconds since the epoch (tests pass a fake one).

    Raises:
        ConfigurationError: No acceptable algorithm is left.
    """

    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        jwks: JWKSCache,
        algorithms: Collection[str] = ("RS256",),
        client_secret: str | None = None,
        trusted_audiences: Collection[str] = (),
        leeway: float = DEFAULT_LEEWAY,
        max_token_age: float | None = DEFAULT_MAX_TOKEN_AGE,
        clock: Callable[[], float] = time.time,
    ):
        allowed = frozenset(a for a in algorithms if a.lower() != "none")
        if not allowed:
            raise ConfigurationError("No ID token signing algorithm is acceptable (none never is).")
        self.issuer: Final = issuer
        self.client_id: Final = client_id
        self.jwks: Final = jwks
        self.algorithms: Final = allowed
        self.trusted_audiences: Final = frozenset(trusted_audiences)
        self.leeway: Final = leeway
        self.max_token_age: Final = max_token_age
        self._clock = clock
        self._secret_key = _secret_key(client_secret) if client_secret else None

    @classmethod
    def for_provider(
        cls,
        metadata: ProviderMetadata,
        *,
        client_id: str,
        client_secret: str | None = None,
        jwks: JWKSCache | None = None,
        algorithms: Collection[str] | None = None,
        **options: Any,
    ) -> IDTokenValidator:
        """A validator for the provider ``metadata`` describes.

        Args:
            metadata: The provider's discovered (or configured) metadata.
            client_id: Our client id.
            client_secret: For ``HS*`` tokens only.
            jwks: A key cache to share; by default one for ``metadata.jwks_uri``.
            algorithms: Narrow the accepted ``alg`` values further (e.g. the
                ``id_token_signed_response_alg`` registered for the client);
                only those the provider also advertises are accepted.
            **options: ``trusted_audiences``, ``leeway``, ``max_token_age``, ``clock``.

        Raises:
            DiscoveryError: No ``jwks_uri`` and no ``jwks`` given.
            ConfigurationError: No acceptable algorithm is left.
        """
        advertised = metadata.id_token_signing_alg_values_supported
        accepted = [a for a in advertised if algorithms is None or a in algorithms]
        if jwks is None:
            jwks = JWKSCache(metadata.require("jwks_uri"))
        return cls(
            issuer=metadata.issuer,
            client_id=client_id,
            jwks=jwks,
            algorithms=accepted,
            client_secret=client_secret,
            **options,
        )

    async def validate(
        self,
        http: aiohttp.ClientSession,
        id_token: str,
        *,
        nonce: str | None = None,
        access_token: str | None = None,
        code: str | None = None,
        flow: Flow = "code",
        max_age: float | None = None,
    ) -> IDToken:
        """Validate an ID token and return its claims.

        Args:
            http: The aiohttp session to fetch the provider's keys with.
            id_token: The compact JWS.
            nonce: The nonce sent in the authorization request; the token's
                must equal it. Required for the implicit and hybrid flows.
            access_token: The access token issued with the ID token, to check
                ``at_hash`` against. In the implicit and hybrid flows (a token
                from the authorization endpoint) the token must then have an
                ``at_hash``; in the code flow it is checked when present.
            code: The authorization code issued with the ID token (hybrid
                flow), to check ``c_hash`` against.
            flow: ``"code"`` for an ID token from the token endpoint (also in
                the hybrid flow), ``"implicit"`` or ``"hybrid"`` for one from
                the authorization endpoint.
            max_age: The ``max_age`` sent in the authorization request, if any.

        Raises:
            IDTokenError: One subclass per failed check (see the module doc).
            JWKSError: The provider's keys could not be fetched.
            DeadlineExceededError: Fetching the keys took too long.
            ValueError: ``flow`` is unknown, or an implicit or hybrid flow has no nonce.
        """
        if flow not in get_args(Flow):
            raise ValueError(f"flow must be one of {get_args(Flow)}")
        if flow != "code" and nonce is None:
            raise ValueError(f"The {flow} flow requires a nonce (OIDC Core §3.2.2.1).")
        signed = _parse(id_token)
        header = signed.headers()
        alg = self._check_algorithm(header)
        key = await self._key_for(http, header, alg)
        _verify(signed, key, alg)
        claims = _payload(signed)
        check_claims(
            claims,
            alg=alg,
            issuer=self.issuer,
            client_id=self.client_id,
            trusted_audiences=self.trusted_audiences,
            now=self._clock(),
            leeway=self.leeway,
            max_token_age=self.max_token_age,
            max_age=max_age,
            nonce=nonce,
            access_token=access_token,
            code=code,
            require_at_hash=flow != "code" and access_token is not None,
            require_c_hash=flow == "hybrid" and code is not None,
        )
        return IDToken(claims, header)

    def _check_algorithm(self, header: Mapping[str, Any]) -> str:
        alg = header.get("alg")
        if not isinstance(alg, str) or alg.lower() == "none":
            raise IDTokenAlgorithmError("The ID token is unsigned (alg none) or names no alg.")
        if alg not in self.algorithms:
            raise IDTokenAlgorithmError(
                f"The ID token's alg {alg!r} is not one the provider advertises "
                f"({', '.join(sorted(self.algorithms))})."
            )
        if key_type_for(alg) is None:
            raise IDTokenAlgorithmError(f"The ID token's alg {alg!r} is not supported.")
        return alg

    async def _key_for(
        self, http: aiohttp.ClientSession, header: Mapping[str, Any], alg: str
    ) -> Key:
        if alg.startswith("HS"):
            # A symmetric alg is only ever checked with our client secret. Were it
            # checked with a provider's public key, anyone could sign with that
            # public key's bytes (the RS/HS key-confusion attack).
            if self._secret_key is None:
                raise IDTokenAlgorithmError(
                    f"The ID token uses the symmetric alg {alg!r}, and there is no "
                    "client secret to check it with."
                )
            return self._secret_key
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise IDTokenMalformedError("The ID token's kid is not a string.")
        return await self.jwks.get_key(http, kid, alg)


def _secret_key(secret: str) -> OctKey:
    with warnings.catch_warnings():
        # joserfc warns about short secrets; the provider chose it, not the user.
        warnings.simplefilter("ignore", SecurityWarning)
        return OctKey.import_key(secret.encode("utf-8"))


def _parse(id_token: str) -> jws.CompactSignature:
    if not isinstance(id_token, str):
        raise IDTokenMalformedError("The ID token is not a string.")
    parts = id_token.count(".")
    if parts == 4:
        raise IDTokenMalformedError("The ID token is encrypted (JWE), which is not supported.")
    if parts != 2:
        raise IDTokenMalformedError(
            "The ID token is not a compact JWS (three dot-separated parts)."
        )
    try:
        signed = jws.extract_compact(id_token.encode("ascii"))
    except (JoseError, ValueError, UnicodeError) as exc:
        raise IDTokenMalformedError(
            f"The ID token cannot be decoded ({type(exc).__name__})."
        ) from exc
    if signed.headers().get("b64") is False:
        raise IDTokenMalformedError("The ID token's payload is not base64url-encoded (b64 false).")
    return signed


def _verify(signed: jws.CompactSignature, key: Key, alg: str) -> None:
    registry = jws.JWSRegistry(algorithms=[alg], strict_check_header=False)
    try:
        with warnings.catch_warnings():
            # EdDSA is "deprecated" in favour of Ed25519; both verify the same.
            warnings.simplefilter("ignore", SecurityWarning)
            valid = jws.validate_compact(signed, key, registry=registry)
    except JoseError as exc:
        raise IDTokenAlgorithmError(
            f"The ID token cannot be checked with alg {alg!r} and the provider's key "
            f"({type(exc).__name__})."
        ) from exc
    if not valid:
        raise IDTokenSignatureError("The ID token's signature does not verify.")


def _payload(signed: jws.CompactSignature) -> dict[str, Any]:
    claims = _payload_any(signed)
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise IDTokenMalformedError("The ID token has no sub.")
    return claims


def _payload_any(signed: jws.CompactSignature) -> dict[str, Any]:
    """The payload as a JSON object, with no claim required (logout tokens may lack sub)."""
    try:
        claims = json.loads(signed.payload)
    except ValueError as exc:
        raise IDTokenMalformedError("The ID token's payload is not JSON.") from exc
    if not isinstance(claims, dict):
        raise IDTokenMalformedError("The ID token's payload is not a JSON object.")
    return claims
