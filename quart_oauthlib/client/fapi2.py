"""The FAPI 2.0 Security Profile's demands on a client's settings, checked up front.

A pure function over a settings mapping, so the extension can run it at
``init_app`` and anyone else before building a session. The keys read:

* ``par``: must be true (FAPI 2.0 §5.3.2.2: PAR only).
* ``pkce``: must be ``"S256"``.
* ``dpop``: sender-constrained tokens: DPoP on, unless ``token_endpoint_auth_method``
  is ``tls_client_auth`` (mTLS-bound tokens).
* ``token_endpoint_auth_method``: ``private_key_jwt`` or ``tls_client_auth``.
* ``client_jwk``: required by ``private_key_jwt``; like ``dpop_key``, a JWK that names
  its ``alg`` must name PS256, ES256 or EdDSA.
* ``id_token_signing_algs``: when given, only PS256, ES256 or EdDSA.
* ``require_iss``: the RFC 9207 ``iss`` check must not be switched off.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from ..errors import FAPI2ProfileError

__all__ = ["FAPI2_ALGORITHMS", "FAPI2Problem", "check_fapi2_settings", "fapi2_problems"]

#: The only JWS algorithms FAPI 2.0 allows (§5.4.1).
FAPI2_ALGORITHMS: Final = frozenset({"PS256", "ES256", "EdDSA"})
_FAPI2_CLIENT_AUTH: Final = frozenset({"private_key_jwt", "tls_client_auth"})


@dataclass(frozen=True, slots=True)
class FAPI2Problem:
    """One setting that contradicts FAPI 2.0.

    Attributes:
        key: The settings key at fault.
        message: What is wrong, and what FAPI 2.0 wants instead.
    """

    key: str
    message: str


def fapi2_problems(settings: Mapping[str, Any]) -> list[FAPI2Problem]:
    """Every FAPI 2.0 contradiction in ``settings`` (empty when it complies)."""
    problems: list[FAPI2Problem] = []

    def problem(key: str, message: str) -> None:
        problems.append(FAPI2Problem(key, message))

    if settings.get("par") is not True:
        problem("par", "FAPI 2.0 sends every authorization request by PAR: set par=True.")
    if settings.get("pkce") != "S256":
        problem("pkce", "FAPI 2.0 requires PKCE with S256: set pkce='S256'.")
    method = settings.get("token_endpoint_auth_method")
    if method not in _FAPI2_CLIENT_AUTH:
        problem(
            "token_endpoint_auth_method",
            f"FAPI 2.0 allows only private_key_jwt or tls_client_auth, not {method!r}.",
        )
    if method == "private_key_jwt" and not settings.get("client_jwk"):
        problem("client_jwk", "private_key_jwt needs the client's private key in client_jwk.")
    for key_setting in ("client_jwk", "dpop_key"):
        jwk = settings.get(key_setting)
        alg = jwk.get("alg") if isinstance(jwk, Mapping) else None
        if alg is not None and alg not in FAPI2_ALGORITHMS:
            problem(key_setting, f"FAPI 2.0 allows PS256, ES256 or EdDSA keys, not {alg!r}.")
    if not settings.get("dpop") and method != "tls_client_auth":
        problem(
            "dpop",
            "FAPI 2.0 requires sender-constrained tokens: set dpop=True, "
            "or use tls_client_auth for certificate-bound tokens.",
        )
    algs = settings.get("id_token_signing_algs")
    if algs is not None:
        listed = [algs] if isinstance(algs, str) else list(_iterable(algs))
        wrong = sorted(str(a) for a in listed if a not in FAPI2_ALGORITHMS)
        if wrong or not listed:
            problem(
                "id_token_signing_algs",
                "FAPI 2.0 allows only PS256, ES256 or EdDSA for ID tokens"
                + (f", not {', '.join(wrong)}." if wrong else "; none is listed."),
            )
    if settings.get("require_iss") is False:
        problem("require_iss", "FAPI 2.0 requires the RFC 9207 iss check: keep require_iss on.")
    return problems


def _iterable(value: Any) -> Iterable[Any]:
    return value if isinstance(value, Iterable) else [value]


def check_fapi2_settings(settings: Mapping[str, Any], *, name: str | None = None) -> None:
    """Raise for the first setting that contradicts FAPI 2.0.

    Args:
        settings: The provider's settings.
        name: The provider's name, for the message.

    Raises:
        FAPI2ProfileError: Naming the key (``error.key``) and the provider.
    """
    problems = fapi2_problems(settings)
    if problems:
        first = problems[0]
        where = f"Provider {name!r}: " if name else ""
        more = f" ({len(problems) - 1} more FAPI 2.0 problem(s))" if len(problems) > 1 else ""
        raise FAPI2ProfileError(f"{where}{first.key}: {first.message}{more}", key=first.key)
