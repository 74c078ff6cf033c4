"""Talking to a token endpoint: send a form, read a bounded answer, judge it.

Shared by ``fetch_token``, ``refresh_token`` and the revocation and
introspection helpers, so that every call to a token-ish endpoint gets the
same defences: a total deadline, a size cap, no redirects followed with our
credentials, and errors that show what the provider really said.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from multidict import CIMultiDictProxy
from oauthlib.oauth2.rfc6749.errors import OAuth2Error, raise_from_error

from ..errors import TokenResponseError, excerpt
from ._token_fields import check_fields
from ._transport import (
    DEFAULT_TOKEN_TIMEOUT,
    MAX_TOKEN_RESPONSE_BYTES,
    REDIRECT_STATUSES,
    read_bounded,
    with_deadline,
)

log = logging.getLogger("quart_oauthlib")

#: The token types a session accepts by default (RFC 6749 §7.1). A session that
#: can use another type (DPoP, RFC 9449) adds it to its ``token_types``.
DEFAULT_TOKEN_TYPES: frozenset[str] = frozenset({"Bearer"})
#: Keys whose values must never be quoted in an error message.
SECRET_KEYS = frozenset(
    {"access_token", "refresh_token", "id_token", "client_secret", "code", "code_verifier"}
)


@dataclass
class TokenResponse:
    """A token endpoint's answer, as compliance hooks see and may rewrite it.

    requests-oauthlib hooks received a ``requests.Response`` and rewrote
    ``r._content``; here ``text`` is the body to parse, and hooks may assign
    to it (``_content`` and ``content`` are kept as bytes aliases for ported
    fixes).

    Attributes:
        status: HTTP status code (``status_code`` is an alias).
        headers: Response headers.
        url: The URL that answered.
        text: The body, decoded.
    """

    status: int
    headers: Mapping[str, str]
    url: str
    text: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def status_code(self) -> int:
        """requests' name for :attr:`status`."""
        return self.status

    @status_code.setter
    def status_code(self, value: int) -> None:
        self.status = value

    @property
    def content(self) -> bytes:
        """The body as bytes."""
        return self.text.encode("utf-8")

    @content.setter
    def content(self, value: bytes) -> None:
        self.text = value.decode("utf-8")

    # requests-oauthlib's fixes assign to ``r._content``.
    _content = content

    @property
    def content_type(self) -> str:
        """The media type, without parameters."""
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.text)


ResponseHook = Callable[[TokenResponse], "TokenResponse | Awaitable[TokenResponse]"]


async def post_form(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    form: Mapping[str, str] | Sequence[tuple[str, str]],
    headers: dict[str, str],
    as_query: bool,
    timeout: float | aiohttp.ClientTimeout | None,
    request_options: dict[str, Any],
) -> TokenResponse:
    """Send a token-endpoint request and read its answer within a total deadline."""
    deadline = _deadline_seconds(timeout)
    kwargs: dict[str, Any] = dict(request_options)
    if as_query or method == "GET":
        kwargs["params"] = form
    else:
        kwargs["data"] = form

    async def exchange() -> TokenResponse:
        # Redirects are not followed: a 3xx would carry our code and credentials
        # to wherever the endpoint points.
        # raise_for_status=False: a session made with raise_for_status=True would
        # turn the provider's error answers into aiohttp errors (which carry our
        # request headers, credentials included) before we could read them.
        async with http.request(
            method, url, headers=headers, allow_redirects=False, raise_for_status=False, **kwargs
        ) as resp:
            body = await read_bounded(resp, MAX_TOKEN_RESPONSE_BYTES)
            return TokenResponse(
                status=resp.status,
                headers=CIMultiDictProxy(resp.headers.copy()),
                url=str(resp.url),
                text=_decode(body, resp.charset),
            )

    return await with_deadline(
        exchange(), deadline, "The token request", session_timeout=http.timeout
    )


def _decode(body: bytes, charset: str | None) -> str:
    """The body as text; an unknown charset falls back to UTF-8 rather than failing."""
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def _deadline_seconds(timeout: float | aiohttp.ClientTimeout | None) -> float:
    if timeout is None:
        return DEFAULT_TOKEN_TIMEOUT
    if isinstance(timeout, aiohttp.ClientTimeout):
        return timeout.total or DEFAULT_TOKEN_TIMEOUT
    return float(timeout)


def check_answer(response: TokenResponse, token_types: Iterable[str] = DEFAULT_TOKEN_TYPES) -> None:
    """Raise a clear error for answers that cannot hold a token.

    Protocol errors (a body with ``error``) raise oauthlib's matching
    ``OAuth2Error`` subclass, with the provider's description. Anything else
    that is not a 2xx answer with an ``access_token`` of a ``token_type`` we
    can use (RFC 6749 §7.1: a client must not use a type it does not
    understand) raises :class:`TokenResponseError`.
    """
    if response.status in REDIRECT_STATUSES:
        raise TokenResponseError(
            f"The token endpoint answered a {response.status} redirect; "
            "it was not followed, so that the code and client credentials stay here.",
            status=response.status,
            content_type=response.content_type,
        )
    params = _parse_params(response)
    if params is not None and "error" in params:
        error = str(params.get("error"))
        log.info("Token endpoint answered error %r (status %s)", error, response.status)
        try:
            raise_from_error(error, params)  # unknown codes become CustomOAuth2Error
        except OAuth2Error as exc:
            exc.status_code = response.status  # the provider's status, not oauthlib's default
            raise
    if not 200 <= response.status < 300:
        raise TokenResponseError(
            f"The token endpoint answered status {response.status} with "
            f"{response.content_type or 'no content type'}: {describe_body(response)}",
            status=response.status,
            content_type=response.content_type,
        )
    if params is None or "access_token" not in params:
        raise TokenResponseError(
            f"The token endpoint answered status {response.status} with "
            f"{response.content_type or 'no content type'} but no access_token: "
            f"{describe_body(response)}",
            status=response.status,
            content_type=response.content_type,
        )
    check_fields(params, response.status, response.content_type)
    _check_token_type(params, token_types, response)


def _check_token_type(
    params: Mapping[str, Any], token_types: Iterable[str], response: TokenResponse
) -> None:
    token_type = str(params.get("token_type") or "Bearer")
    if token_type.lower() not in {t.lower() for t in token_types}:
        raise TokenResponseError(
            f"The token endpoint issued an unsupported token_type {token_type!r}.",
            status=response.status,
            content_type=response.content_type,
        )


def _parse_params(response: TokenResponse) -> dict[str, Any] | None:
    """The answer's parameters, from JSON or a form; None when it is neither."""
    text = response.text.strip()
    if not text:
        return None
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        parsed = None
    if isinstance(parsed, dict):
        return parsed
    if parsed is not None or text.startswith("<"):
        return None
    try:
        pairs = parse_qsl(text, strict_parsing=True)
    except ValueError:
        return None
    return dict(pairs)


def describe_body(response: TokenResponse) -> str:
    """Describe a body for an error message without leaking secrets in it."""
    params = _parse_params(response)
    if params is not None:
        return "parameters " + ", ".join(sorted(params)) if params else "an empty object"
    if not response.text.strip():
        return "an empty body"
    return repr(excerpt(response.text))
