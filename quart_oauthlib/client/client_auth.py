"""How the client proves who it is (RFC 6749 §2.3, RFC 7523, RFC 8705, OIDC Core §9).

One :class:`ClientAuthentication` per client, applied to every call the client
makes to the provider: token, refresh, pushed authorization, revocation,
introspection. Each call gets a fresh assertion (new ``jti``, ``iat``, 60 s
``exp``), so a retry never replays one.

* ``client_secret_basic``: ``Authorization: Basic`` (RFC 6749 §2.3.1); the default.
* ``client_secret_post``: ``client_id`` and ``client_secret`` in the form.
* ``client_secret_jwt``: an HS256 assertion signed with the secret (RFC 7523).
* ``private_key_jwt``: an assertion signed with the client's private key.
* ``tls_client_auth``: the client certificate on the TLS connection (RFC 8705);
  the form carries ``client_id`` only.
* ``none``: a public client: ``client_id`` only.

The assertion's ``aud`` is the provider's issuer as one string, as FAPI 2.0
asks (§5.3.2.1); without a known issuer, the URL of the endpoint called.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, Literal, get_args

from ..errors import ConfigurationError
from ._transport import basic_authorization

if TYPE_CHECKING:
    from joserfc.jwk import Key

    from .jose_keys import PrivateKeySource

__all__ = [
    "ASSERTION_LIFETIME",
    "CLIENT_ASSERTION_TYPE",
    "ClientAuthMethod",
    "ClientAuthentication",
]

ClientAuthMethod = Literal[
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
    "tls_client_auth",
    "none",
]
#: RFC 7523 §2.2.
CLIENT_ASSERTION_TYPE: Final = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: Seconds a client assertion is valid: long enough for one request, no more.
ASSERTION_LIFETIME: Final = 60

_NEEDS_SECRET: Final = frozenset({"client_secret_basic", "client_secret_post", "client_secret_jwt"})


class ClientAuthentication:
    """Adds the client's credentials to a request to the provider.

    Args:
        method: One of :data:`ClientAuthMethod`.
        client_id: The client id.
        client_secret: For the ``client_secret_*`` methods.
        client_jwk: For ``private_key_jwt``: a private JWK dict, a joserfc key,
            or ``(pem_path, kid)``.
        issuer: The provider's issuer: the assertions' ``aud``.
        assertion_lifetime: Seconds until an assertion's ``exp``.
        clock: Seconds since the epoch (tests pass a fake one).

    Raises:
        ConfigurationError: An unknown method, or the secret or key it needs is missing.
    """

    __slots__ = (
        "_clock",
        "_key",
        "assertion_lifetime",
        "client_id",
        "client_secret",
        "issuer",
        "method",
    )

    def __init__(
        self,
        method: ClientAuthMethod | str,
        client_id: str,
        *,
        client_secret: str | None = None,
        client_jwk: PrivateKeySource | None = None,
        issuer: str | None = None,
        assertion_lifetime: int = ASSERTION_LIFETIME,
        clock: Callable[[], float] = time.time,
    ):
        if method not in get_args(ClientAuthMethod):
            raise ConfigurationError(
                f"token_endpoint_auth_method {method!r} is not one of "
                f"{', '.join(get_args(ClientAuthMethod))}."
            )
        if not client_id:
            raise ConfigurationError(f"{method} needs a client_id.")
        if method in _NEEDS_SECRET and not client_secret:
            raise ConfigurationError(f"token_endpoint_auth_method {method} needs a client_secret.")
        self._key: Key | None = None
        if method == "private_key_jwt":
            if client_jwk is None:
                raise ConfigurationError(
                    "token_endpoint_auth_method private_key_jwt needs client_jwk "
                    "(a private JWK dict, or (pem_path, kid))."
                )
            from .jose_keys import load_private_key

            self._key = load_private_key(client_jwk)
        self.method: Final = method
        self.client_id: Final = client_id
        self.client_secret = client_secret
        self.issuer = issuer
        self.assertion_lifetime = assertion_lifetime
        self._clock = clock

    def __repr__(self) -> str:
        return f"ClientAuthentication(method={self.method!r}, client_id={self.client_id!r})"

    def apply(self, url: str, form: dict[str, str], headers: dict[str, str]) -> None:
        """Authenticate one request to ``url``, in place.

        Removes any credentials a caller or hook left in ``form`` first, so
        that exactly one method is used (RFC 6749 §2.3).
        """
        for name in ("client_secret", "client_assertion", "client_assertion_type"):
            form.pop(name, None)
        method = self.method
        if method == "client_secret_basic":
            # A pushed authorization request (RFC 9126 §2.1) carries client_id as an
            # authorization request parameter; other calls name the client in Basic only.
            if "response_type" not in form and "request" not in form:
                form.pop("client_id", None)
            headers["Authorization"] = basic_authorization(
                self.client_id, self.client_secret or "", form_encode=True
            )
            return
        headers.pop("Authorization", None)
        form["client_id"] = self.client_id
        if method == "client_secret_post":
            form["client_secret"] = self.client_secret or ""
        elif method in ("client_secret_jwt", "private_key_jwt"):
            form["client_assertion_type"] = CLIENT_ASSERTION_TYPE
            form["client_assertion"] = self.assertion(url)
        # tls_client_auth: the certificate is on the connection; none: nothing more.

    def assertion(self, endpoint: str) -> str:
        """A fresh client assertion JWT (RFC 7523 §3) for a call to ``endpoint``."""
        from .jose_keys import algorithm_for, sign_jwt

        now = int(self._clock())
        claims: dict[str, Any] = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": self.issuer or endpoint,
            "jti": uuid.uuid4().hex,
            "iat": now,
            "exp": now + self.assertion_lifetime,
        }
        key = self._signing_key()
        alg = algorithm_for(key)
        header: dict[str, Any] = {"alg": alg, "typ": "JWT"}
        kid = key.get("kid") if self.method == "private_key_jwt" else None
        if kid:
            header["kid"] = kid
        return sign_jwt(header, claims, key, alg)

    def _signing_key(self) -> Key:
        if self._key is not None:
            return self._key
        # client_secret_jwt: HS256 with the secret's bytes (OIDC Core §9).
        import warnings

        from joserfc.errors import SecurityWarning
        from joserfc.jwk import OctKey

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SecurityWarning)  # the provider chose its length
            key = OctKey.import_key((self.client_secret or "").encode("utf-8"))
        self._key = key
        return key

    @property
    def signing_key(self) -> Key | None:
        """The private key of ``private_key_jwt`` (it also signs request objects)."""
        return self._key if self.method == "private_key_jwt" else None
