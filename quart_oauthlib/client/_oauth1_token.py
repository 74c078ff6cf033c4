"""Talking to an OAuth 1 token endpoint: send, read a bounded answer, parse it.

RFC 5849 §2.1 and §2.3 answers are form-encoded; some providers send JSON,
accepted as a fallback. The whole exchange has a total deadline.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import aiohttp
from oauthlib.common import urldecode

from ..errors import TokenMissing, TokenRequestDenied, excerpt
from ._transport import read_bounded, with_deadline

Token = dict[str, str]


async def fetch_token(
    send: Callable[[], Awaitable[aiohttp.ClientResponse]],
    *,
    what: str,
    timeout: float | None,
    limit: int,
) -> Token:
    """Send a token request with ``send`` and return the token it answers.

    Raises:
        TokenRequestDenied: A non-2xx answer; it carries the provider's text.
        TokenMissing: A 2xx answer that is neither form-encoded nor JSON.
        TokenResponseError: The answer is larger than ``limit`` bytes.
        DeadlineExceededError: The exchange took longer than ``timeout``.
    """

    async def exchange() -> tuple[int, str, str]:
        async with await send() as response:
            raw = await read_bounded(response, limit)
            text = raw.decode(response.charset or "utf-8", errors="replace")
            return response.status, response.content_type, text

    status, content_type, text = await with_deadline(exchange(), timeout, f"The {what} request")
    if not 200 <= status < 300:
        raise TokenRequestDenied(
            f"The {what} request was refused with status {status}: {excerpt(text)}",
            status=status,
            text=text,
        )
    return parse_token(text, status, content_type)


def parse_token(text: str, status: int, content_type: str) -> Token:
    """A token answer: form-encoded as RFC 5849 says, or JSON as some providers send."""
    text = text.strip()
    try:
        return dict(urldecode(text))
    except ValueError:
        pass
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
    # No excerpt: a malformed answer may still hold a token or secret.
    raise TokenMissing(
        f"The token endpoint answered {status} with a {content_type} body "
        "that is neither form-encoded nor JSON.",
        status=status,
    )
