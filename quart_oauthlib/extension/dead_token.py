"""A dead access token met on a call (RFC 6750 §3.1 ``invalid_token``): refreshed once
through the refresh coordinator and the call sent again, or the token dropped.

The request context the bound sessions return for a call: await it or use it with
``async with``, as aiohttp's own. It adds no frame around the request: a 401 is
looked at when the answer is in.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Mapping
from types import TracebackType
from typing import Any, Protocol

import aiohttp
from yarl import URL

from ..client._transport import ResponseContext

__all__ = ["DeadTokenRetry", "RetryingSession", "replayable", "token_refused"]


_INVALID_TOKEN = re.compile(r'\berror\s*=\s*"?invalid_token\b', re.IGNORECASE)


def token_refused(response: aiohttp.ClientResponse) -> bool:
    """Whether ``response`` says the access token is dead (RFC 6750 §3.1 ``invalid_token``)."""
    if response.status != 401:
        return False
    return any(
        _INVALID_TOKEN.search(challenge)
        for challenge in response.headers.getall("WWW-Authenticate", ())
    )


def replayable(data: Any) -> bool:
    """Whether a request body can be sent a second time."""
    return data is None or isinstance(data, str | bytes | bytearray | Mapping | list | tuple)


class RetryingSession(Protocol):
    """What :class:`DeadTokenRetry` needs of a bound session."""

    def _send_once(
        self, method: str, url: str | URL, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> ResponseContext: ...

    async def _token_died(self) -> None: ...


class DeadTokenRetry:
    """The request context of a bound session: one refresh-and-retry on a dead token."""

    __slots__ = ("_args", "_bound", "_kwargs", "_method", "_response", "_url")

    def __init__(
        self,
        bound: RetryingSession,
        method: str,
        url: str | URL,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ):
        self._bound = bound
        self._method = method
        self._url = url
        self._args = args
        self._kwargs = kwargs
        self._response: aiohttp.ClientResponse | None = None

    def __await__(self) -> Generator[Any, None, aiohttp.ClientResponse]:
        return self._run().__await__()

    async def __aenter__(self) -> aiohttp.ClientResponse:
        # _run inlined: every suspension of the request would pass through one more frame.
        response = await self._bound._send_once(self._method, self._url, self._args, self._kwargs)
        if response.status == 401 and token_refused(response):
            response = await self._retry(response)
        self._response = response
        return response

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._response is not None:
            self._response.release()

    async def _run(self) -> aiohttp.ClientResponse:
        response = await self._bound._send_once(self._method, self._url, self._args, self._kwargs)
        if not token_refused(response):
            return response
        return await self._retry(response)

    async def _retry(self, refused: aiohttp.ClientResponse) -> aiohttp.ClientResponse:
        refused.release()
        await self._bound._token_died()  # refreshed, or raises ReauthorizationRequiredError
        # Once: a second refusal is the caller's to see. The session is whole by now
        # (the refresh completed it), so this sends the new token.
        return await self._bound._send_once(self._method, self._url, self._args, self._kwargs)
