"""DPoP (RFC 9449): sender-constrained tokens, bound to a key only this client holds.

Every request to the authorization server's token endpoint and to a resource
server carries a fresh proof (a JWT signed by the key, with ``jti``, ``htm``,
``htu`` and ``iat``; ``ath`` when an access token goes with it; the server's
``nonce`` once it has given one). A stolen DPoP token is useless without the
key.

Servers may demand a nonce: the authorization server answers 400
``use_dpop_nonce``, a resource server 401 with ``WWW-Authenticate: DPoP
error="use_dpop_nonce"``; both send a ``DPoP-Nonce`` header. The request is
retried once with a new proof carrying it, and the nonce is remembered per
server (origin) for the next requests.

With several workers, every worker must hold the same key (give it from
configuration as a private JWK): a DPoP-bound refresh token only refreshes
with the key it was bound to.

Needs the ``jose`` extra (joserfc signs the proofs).
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Callable
from typing import Any, Final

import aiohttp
from joserfc.jwk import ECKey, Key, OKPKey, RSAKey
from yarl import URL

from ..errors import ConfigurationError, DPoPError
from ._redirect_chain import enter_chain, leave_chain
from ._token_endpoint import TokenResponse
from .jose_keys import PrivateKeySource, algorithm_for, load_private_key, public_jwk, sign_jwt

__all__ = [
    "DPOP_ALGORITHMS",
    "DPoPAuth",
    "DPoPKey",
    "access_token_hash",
    "check_dpop_answer",
    "htu_of",
    "is_nonce_challenge",
]

#: The algorithms a DPoP key may use here: asymmetric, and each joserfc signs.
DPOP_ALGORITHMS: Final = frozenset({"ES256", "ES384", "ES512", "EdDSA", "PS256", "RS256"})
#: The most nonces remembered; one per server, so a small number suffices.
_MAX_NONCES: Final = 256


def access_token_hash(access_token: str) -> str:
    """``ath``: base64url of the SHA-256 of the access token (RFC 9449 §4.2)."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def htu_of(url: str | URL) -> str:
    """``htu``: the request URL without query and fragment (RFC 9449 §4.2)."""
    target = URL(url) if isinstance(url, str) else url
    return str(target.with_query(None).with_fragment(None))


def _origin(url: str | URL) -> str:
    target = URL(url) if isinstance(url, str) else url
    return str(target.origin())


class DPoPKey:
    """The key DPoP proofs are signed with, and the nonces servers gave for it.

    Args:
        jwk: A private key (JWK dict, joserfc key, or ``(pem_path, kid)``);
            ES256, EdDSA (Ed25519) and PS256 are the usual choices. None
            generates a new P-256 key for ES256: fine for one process, but
            tokens bound to it die with it.
        alg: The signing algorithm; by default the key's ``alg``, else the
            usual one for its type.
        clock: Seconds since the epoch (tests pass a fake one).

    Raises:
        ConfigurationError: A symmetric key, a public key, or an algorithm DPoP
            does not allow.
    """

    __slots__ = ("_clock", "_header", "_nonces", "alg", "key", "thumbprint")

    def __init__(
        self,
        jwk: PrivateKeySource | None = None,
        *,
        alg: str | None = None,
        clock: Callable[[], float] = time.time,
    ):
        key = ECKey.generate_key("P-256", private=True) if jwk is None else load_private_key(jwk)
        if not isinstance(key, (ECKey, RSAKey, OKPKey)):
            raise ConfigurationError("A DPoP key must be asymmetric (EC, RSA or OKP).")
        alg = alg or algorithm_for(key)
        if alg not in DPOP_ALGORITHMS:
            raise ConfigurationError(
                f"DPoP alg {alg!r} is not one of {', '.join(sorted(DPOP_ALGORITHMS))}."
            )
        self.key: Final[Key] = key
        self.alg: Final = alg
        #: The JWK SHA-256 thumbprint (RFC 7638): ``dpop_jkt``, and the tokens' ``cnf.jkt``.
        self.thumbprint: Final = key.thumbprint()
        self._header: Final = {"typ": "dpop+jwt", "alg": alg, "jwk": _bare_public(key)}
        self._nonces: dict[str, str] = {}
        self._clock = clock

    @classmethod
    def coerce(cls, value: DPoPKey | PrivateKeySource | bool) -> DPoPKey:
        """A key from a session's ``dpop=`` argument: True generates one."""
        if isinstance(value, DPoPKey):
            return value
        if value is True:
            return cls()
        if value is False:
            raise ConfigurationError("dpop=False means no DPoP key.")
        return cls(value)

    def __repr__(self) -> str:
        return f"DPoPKey(alg={self.alg!r}, jkt={self.thumbprint!r})"

    def proof(
        self,
        method: str,
        url: str | URL,
        *,
        access_token: str | None = None,
        nonce: str | None = None,
    ) -> str:
        """A fresh DPoP proof JWT for one request.

        Args:
            method: The HTTP method (``htm``).
            url: The request URL; its query and fragment are dropped (``htu``).
            access_token: The access token sent with the request, hashed into
                ``ath`` (resource servers).
            nonce: The server's nonce; by default the one remembered for the
                URL's origin, if any.
        """
        claims: dict[str, Any] = {
            "jti": uuid.uuid4().hex,
            "htm": method.upper(),
            "htu": htu_of(url),
            "iat": int(self._clock()),
        }
        if access_token is not None:
            claims["ath"] = access_token_hash(access_token)
        if nonce is None:
            nonce = self._nonces.get(_origin(url))
        if nonce is not None:
            claims["nonce"] = nonce
        return sign_jwt(dict(self._header), claims, self.key, self.alg)

    def nonce_for(self, url: str | URL) -> str | None:
        """The nonce last given by the server at ``url``'s origin."""
        return self._nonces.get(_origin(url))

    def remember_nonce(self, url: str | URL, nonce: str | None) -> None:
        """Keep the ``DPoP-Nonce`` a server sent, for its next proofs."""
        if not nonce:
            return
        origin = _origin(url)
        if origin not in self._nonces and len(self._nonces) >= _MAX_NONCES:
            self._nonces.pop(next(iter(self._nonces)))  # the oldest server
        self._nonces[origin] = nonce


def _bare_public(key: Key) -> dict[str, Any]:
    # The proof's jwk carries the public key only, without kid/use/alg noise.
    public = public_jwk(key)
    return {name: public[name] for name in ("kty", "crv", "x", "y", "n", "e") if name in public}


def is_nonce_challenge(status: int, headers: Any) -> bool:
    """Whether a resource server's answer asks for a DPoP nonce (RFC 9449 §9).

    A 401 whose ``WWW-Authenticate`` has a DPoP challenge with
    ``error="use_dpop_nonce"`` and that sends a ``DPoP-Nonce``.
    """
    if status != 401 or not headers.get("DPoP-Nonce"):
        return False
    for challenge in headers.getall("WWW-Authenticate", ()):
        text = challenge.strip()
        if text[:4].lower() == "dpop" and "use_dpop_nonce" in text:
            return True
    return False


class DPoPAuth:
    """An aiohttp client middleware that adds a DPoP proof to every request hop.

    A request whose ``Authorization`` is ``DPoP <token>`` gets a proof with
    ``ath``; others (the token endpoint) get a plain proof. A resource server's
    nonce challenge is answered with one retry. Hops of a redirect that left
    the first origin get neither the token nor a proof.

    Usable on its own::

        key = DPoPKey()
        async with aiohttp.ClientSession(middlewares=(DPoPAuth(key),)) as http:
            await http.get(url, headers={"Authorization": f"DPoP {token}"})

    Args:
        key: The DPoP key (it also holds the nonces).
    """

    __slots__ = ("key",)

    def __init__(self, key: DPoPKey):
        self.key = key

    async def __call__(
        self, request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        """Prove possession for ``request``, retrying once on a nonce challenge."""
        _, may_sign = enter_chain(request)
        authorization = request.headers.get("Authorization", "")
        access_token = authorization[5:] if authorization[:5].lower() == "dpop " else None
        if not may_sign:
            if access_token is not None:
                del request.headers["Authorization"]
            response = await handler(request)
            leave_chain(response)
            return response
        key = self.key
        request.headers["DPoP"] = key.proof(request.method, request.url, access_token=access_token)
        response = await handler(request)
        nonce = response.headers.get("DPoP-Nonce")
        if is_nonce_challenge(response.status, response.headers):
            key.remember_nonce(request.url, nonce)
            response.release()
            request.headers["DPoP"] = key.proof(
                request.method, request.url, access_token=access_token, nonce=nonce
            )
            response = await handler(request)
            nonce = response.headers.get("DPoP-Nonce")
        key.remember_nonce(request.url, nonce)
        leave_chain(response)
        return response


def check_dpop_answer(response: TokenResponse) -> None:
    """Refuse a token answer that is not ``token_type=DPoP`` (RFC 9449 §5).

    A client that asked for a DPoP-bound token and got a bearer token would
    otherwise send a token anyone who steals it can use.

    Raises:
        DPoPError: The answer's ``token_type`` is not ``DPoP``.
    """
    try:
        body = json.loads(response.text)
    except ValueError:
        body = None
    token_type = body.get("token_type") if isinstance(body, dict) else None
    if not isinstance(token_type, str) or token_type.lower() != "dpop":
        raise DPoPError(
            f"The token endpoint answered token_type {token_type!r} to a DPoP request; "
            "a DPoP-bound token (token_type DPoP) was expected.",
            status=response.status,
        )
