"""Pushed authorization requests (RFC 9126) and signed request objects (JAR, RFC 9101).

PAR posts the authorization request's parameters to the provider, over the
back channel and authenticated like a token request, and sends the user with
only ``client_id`` and the ``request_uri`` the provider answered. JAR signs
the parameters with the client's private key, so the provider knows they were
not changed on the way; with both on, the signed request object is pushed.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol
from urllib.parse import parse_qsl, urlencode

import aiohttp
from yarl import URL

from ..errors import ConfigurationError, PushedAuthorizationError, PushedAuthorizationRateLimited
from ._token_endpoint import TokenResponse, describe_body
from ._transport import require_secure_transport

if TYPE_CHECKING:
    from .client_auth import ClientAuthentication

__all__ = [
    "REQUEST_OBJECT_LIFETIME",
    "PushedAuthorization",
    "parse_par_response",
    "push",
    "sign_request_object",
    "signed_request_url",
]

#: Seconds a request object is valid (FAPI 2.0 asks for at most 60 minutes; we keep it short).
REQUEST_OBJECT_LIFETIME: Final = 300
#: The parameters the front channel keeps next to a request object (OIDC Core §6.1).
_FRONT_CHANNEL_KEPT: Final = ("client_id", "response_type", "scope")


class _Session(Protocol):
    """What pushing needs of a session (``OAuth2Session`` has it all); a protocol, so
    that the session's modules may use this one without an import circle."""

    pushed_authorization: PushedAuthorization | None

    @property
    def client_id(self) -> str | None: ...

    @property
    def client_secret(self) -> str | None: ...

    @property
    def issuer(self) -> str | None: ...

    @property
    def signing_key(self) -> Any: ...

    @property
    def client_authentication(self) -> ClientAuthentication | None: ...

    def authorization_url(
        self, url: str, state: str | None = None, **kwargs: Any
    ) -> tuple[str, str]: ...

    async def _post_to_provider(
        self,
        method: str,
        url: str,
        *,
        form: dict[str, str],
        headers: dict[str, str],
        as_query: bool = False,
        timeout: float | aiohttp.ClientTimeout | None = None,
        request_options: dict[str, Any] | None = None,
        dpop: bool = True,
    ) -> TokenResponse: ...


@dataclass(frozen=True, slots=True)
class PushedAuthorization:
    """What a PAR endpoint answered.

    Attributes:
        request_uri: The reference to send the user with.
        expires_in: Its lifetime in seconds, as the provider said.
        expires_at: When it expires (epoch seconds, by our clock).
        state: The ``state`` pushed with it.
    """

    request_uri: str
    expires_in: int
    expires_at: float
    state: str

    @property
    def expired(self) -> bool:
        """True once the ``request_uri`` can no longer be used."""
        return time.time() >= self.expires_at


def sign_request_object(
    params: dict[str, str],
    *,
    key: Any,
    client_id: str,
    audience: str,
    lifetime: int = REQUEST_OBJECT_LIFETIME,
) -> str:
    """A request object (RFC 9101 §4): the parameters as claims of a JWT signed with ``key``.

    The header's ``typ`` is ``oauth-authz-req+jwt``; ``iss`` is the client id,
    ``aud`` the provider's issuer, with ``iat``, ``nbf``, ``exp`` and a ``jti``.
    """
    from .jose_keys import algorithm_for, sign_jwt

    now = int(time.time())
    claims: dict[str, Any] = {
        **params,
        "iss": client_id,
        "aud": audience,
        "client_id": client_id,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
    }
    alg = algorithm_for(key)
    header: dict[str, Any] = {"alg": alg, "typ": "oauth-authz-req+jwt"}
    if key.get("kid"):
        header["kid"] = key.get("kid")
    return sign_jwt(header, claims, key, alg)


def signed_request_url(session: _Session, uri: str) -> str:
    """Rewrite an authorization URL so that its parameters travel in a request object."""
    key = session.signing_key
    if key is None or not session.client_id:
        raise ConfigurationError("request_object=True needs client_id and client_jwk.")
    if not session.issuer:
        raise ConfigurationError(
            "request_object=True needs the provider's issuer (the request object's aud): "
            "pass issuer= to the session."
        )
    url = URL(uri)
    params = dict(parse_qsl(url.raw_query_string, keep_blank_values=True))
    request = sign_request_object(
        params, key=key, client_id=session.client_id, audience=session.issuer
    )
    front: dict[str, str] = {name: params[name] for name in _FRONT_CHANNEL_KEPT if name in params}
    front["client_id"] = session.client_id
    front["request"] = request
    return str(url.with_query(None)) + "?" + urlencode(front)


async def push(
    session: _Session,
    par_endpoint: str,
    authorization_url: str,
    state: str | None,
    timeout: float | aiohttp.ClientTimeout | None,
    params: dict[str, Any],
) -> tuple[str, str]:
    """:meth:`OAuth2Session.push_authorization_request`'s work."""
    require_secure_transport(par_endpoint)
    if not session.client_id:
        raise ConfigurationError("Pushed authorization requests need a client_id.")
    uri, state = session.authorization_url(authorization_url, state, **params)
    form = dict(parse_qsl(URL(uri).raw_query_string, keep_blank_values=True))
    if "request" in form:
        form = {"client_id": session.client_id, "request": form["request"]}
    form.setdefault("client_id", session.client_id)
    if session.client_authentication is None and session.client_secret:
        # No token_endpoint_auth_method: authenticate as fetch_token does by default.
        headers = {"Accept": "application/json"}
        from ._transport import basic_authorization

        headers["Authorization"] = basic_authorization(
            session.client_id, session.client_secret, form_encode=True
        )
    else:
        headers = {"Accept": "application/json"}
    response = await session._post_to_provider(  # noqa: SLF001 -- the session's own helper
        "POST", par_endpoint, form=form, headers=headers, timeout=timeout, dpop=False
    )
    request_uri, expires_in = parse_par_response(response)
    session.pushed_authorization = PushedAuthorization(
        request_uri=request_uri,
        expires_in=expires_in,
        expires_at=time.time() + expires_in,
        state=state,
    )
    redirect = URL(authorization_url)
    query = {**dict(redirect.query), "client_id": session.client_id, "request_uri": request_uri}
    return str(redirect.with_query(query)), state


def parse_par_response(response: TokenResponse) -> tuple[str, int]:
    """The ``request_uri`` and ``expires_in`` of a PAR answer (RFC 9126 §2.2, §2.3).

    Raises:
        PushedAuthorizationRateLimited: 429, with ``Retry-After`` in ``retry_after``.
        PushedAuthorizationError: Any other error answer, or a 2xx without a
            string ``request_uri`` and a positive integer ``expires_in``.
    """
    try:
        body = json.loads(response.text)
    except ValueError:
        body = None
    fields = _error_fields(body)
    if response.status == 429:
        raise PushedAuthorizationRateLimited(
            "The pushed authorization request endpoint answered 429 Too Many Requests.",
            retry_after=_retry_after(response.headers.get("Retry-After")),
            status=429,
            **fields,
        )
    if not 200 <= response.status < 300 or fields.get("error"):
        raise PushedAuthorizationError(
            f"The pushed authorization request endpoint answered status {response.status}"
            + (f" with error {fields['error']!r}" if fields.get("error") else "")
            + (f": {fields['description']}" if fields.get("description") else "")
            + ("" if fields.get("error") else f" ({describe_body(response)})"),
            status=response.status,
            **fields,
        )
    request_uri = body.get("request_uri") if isinstance(body, dict) else None
    expires_in = body.get("expires_in") if isinstance(body, dict) else None
    if not isinstance(request_uri, str) or not request_uri:
        raise PushedAuthorizationError(
            "The pushed authorization request endpoint answered without a request_uri: "
            f"{describe_body(response)}",
            status=response.status,
        )
    if isinstance(expires_in, bool) or not isinstance(expires_in, int) or expires_in <= 0:
        raise PushedAuthorizationError(
            "The pushed authorization request endpoint answered without a positive "
            "integer expires_in.",
            status=response.status,
        )
    return request_uri, expires_in


def _error_fields(body: Any) -> dict[str, str]:
    if not isinstance(body, dict):
        return {}
    fields = {}
    for name, field in (
        ("error", "error"),
        ("error_description", "description"),
        ("error_uri", "uri"),
    ):
        value = body.get(name)
        if isinstance(value, str):
            fields[field] = value
    return fields


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None  # an HTTP date: rare for PAR; the caller backs off as it sees fit
    return seconds if math.isfinite(seconds) and seconds >= 0 else None
