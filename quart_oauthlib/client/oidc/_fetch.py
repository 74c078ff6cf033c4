"""Fetch a small JSON document from a provider: bounded, within a deadline, no redirects.

Shared by discovery, the JWKS cache and userinfo, so that each of them gets
the same defences as the token requests in :mod:`.._token_endpoint`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

import aiohttp
from yarl import URL

from ...errors import ProviderError, TokenResponseError, excerpt
from .._transport import read_bounded, require_secure_transport, with_deadline

#: Metadata documents and key sets are a few KB; a megabyte is plenty.
MAX_DOCUMENT_BYTES: Final = 1024 * 1024
#: Total deadline of one metadata, key set or userinfo request, in seconds.
DEFAULT_FETCH_TIMEOUT: Final = 10.0


async def fetch_json(
    http: aiohttp.ClientSession,
    url: str,
    *,
    what: str,
    error: type[ProviderError],
    timeout: float | None = DEFAULT_FETCH_TIMEOUT,
    max_bytes: int = MAX_DOCUMENT_BYTES,
    headers: Mapping[str, str] | None = None,
    quote_body: bool = True,
) -> dict[str, Any]:
    """GET ``url`` and return its JSON object.

    Redirects are not followed: the documents are fetched from the URL the
    configuration names, or the one the provider's own metadata names.

    Args:
        http: The aiohttp session to send the request with.
        url: An https URL.
        what: What is fetched, for messages ("The provider metadata").
        error: The error class to raise on failure.
        timeout: Total deadline in seconds, connection to last byte.
        max_bytes: The largest body accepted.
        headers: Extra request headers.
        quote_body: Quote an excerpt of a non-JSON body in the message; off
            for answers that may hold personal data or a token.

    Raises:
        oauthlib.oauth2.InsecureTransportError: ``url`` is not https.
        DeadlineExceededError: The deadline passed.
        ProviderError: ``error``, for a transport failure, a non-200 status,
            an oversized body or a body that is not a JSON object.
    """
    require_secure_transport(url)
    send = {"Accept": "application/json", **(headers or {})}

    async def exchange() -> tuple[int, str, bytes]:
        # raise_for_status=False: judged below, whatever the session was made with.
        async with http.get(
            url, headers=send, allow_redirects=False, raise_for_status=False
        ) as resp:
            body = await read_bounded(resp, max_bytes)
            return resp.status, resp.content_type, body

    try:
        status, content_type, body = await with_deadline(
            exchange(), timeout, what, session_timeout=http.timeout
        )
    except TokenResponseError as exc:  # read_bounded's size cap
        raise error(
            f"{what} at {_where(url)} is larger than {max_bytes} bytes.", status=exc.status
        ) from exc
    except aiohttp.ClientError as exc:
        # The type only: an aiohttp error's repr can carry request headers.
        raise error(
            f"{what} could not be fetched from {_where(url)} ({type(exc).__name__})."
        ) from exc
    return parse_json_object(
        status, content_type, body, url=url, what=what, error=error, quote_body=quote_body
    )


def parse_json_object(
    status: int,
    content_type: str,
    body: bytes,
    *,
    url: str,
    what: str,
    error: type[ProviderError],
    quote_body: bool = True,
) -> dict[str, Any]:
    """Judge an answer: a 200 with a JSON object, or ``error`` saying what it was."""
    if status != 200:
        raise error(
            f"{what} at {_where(url)} answered status {status} ({content_type or 'no type'}).",
            status=status,
        )
    try:
        data = json.loads(body)
    except ValueError as exc:
        text = body.decode("utf-8", errors="replace")
        shown = f": {excerpt(text)!r}" if quote_body else ""
        raise error(
            f"{what} at {_where(url)} is not JSON ({content_type or 'no type'}){shown}",
            status=status,
        ) from exc
    if not isinstance(data, dict):
        raise error(f"{what} at {_where(url)} is not a JSON object.", status=status)
    return data


def _where(url: str) -> str:
    """The URL without its query, which might carry something private."""
    return str(URL(url).with_query(None).with_fragment(None))
