"""The plumbing both OAuth versions share: one aiohttp session, owned or borrowed,
bounded reads, TLS options, Basic credentials, and the awaitable request handle.

Nothing here knows about OAuth; it keeps the session classes about protocol.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import ssl
from collections.abc import Awaitable, Coroutine, Generator
from types import TracebackType
from typing import Any, Final, Protocol, TypeVar
from urllib.parse import quote

import aiohttp
from oauthlib.oauth2 import InsecureTransportError
from oauthlib.oauth2.rfc6749.utils import is_secure_transport
from yarl import URL

from ..errors import DeadlineExceededError, TokenResponseError

T = TypeVar("T")

#: Token answers are a few KB; anything much larger is broken or hostile.
MAX_TOKEN_RESPONSE_BYTES: Final = 1024 * 1024
#: Total deadline of a token request, connection to last byte, in seconds.
DEFAULT_TOKEN_TIMEOUT: Final = 30.0
#: Redirect statuses that aiohttp would follow.
REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})

BasicCredentials = tuple[str, str] | aiohttp.BasicAuth


def require_secure_transport(url: str | URL) -> None:
    """Refuse plain http unless OAUTHLIB_INSECURE_TRANSPORT is set, as oauthlib does."""
    if not is_secure_transport(str(url)):
        raise InsecureTransportError()


def basic_authorization(user: str, password: str, *, form_encode: bool = False) -> str:
    """Build an ``Authorization: Basic`` value without aiohttp's deprecated BasicAuth.

    Args:
        user: The user (client id).
        password: The password (client secret).
        form_encode: Encode both parts as application/x-www-form-urlencoded
            first, as RFC 6749 §2.3.1 asks for client credentials.
    """
    if form_encode:
        user, password = quote(user, safe=""), quote(password, safe="")
    raw = f"{user}:{password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def authorization_from(auth: BasicCredentials | None) -> str | None:
    """Turn a ``(user, password)`` tuple or an ``aiohttp.BasicAuth`` into a header value."""
    if auth is None:
        return None
    if isinstance(auth, aiohttp.BasicAuth):
        return basic_authorization(auth.login, auth.password)
    if isinstance(auth, tuple) and len(auth) == 2:
        return basic_authorization(str(auth[0]), str(auth[1]))
    raise TypeError("auth must be a (user, password) tuple or an aiohttp.BasicAuth")


_cert_contexts: dict[tuple[str, str | None], ssl.SSLContext] = {}


def ssl_option(
    *,
    verify_ssl: bool = True,
    ssl_context: ssl.SSLContext | None = None,
    cert: str | tuple[str, str] | None = None,
) -> ssl.SSLContext | bool:
    """The value for aiohttp's ``ssl=`` argument.

    Args:
        verify_ssl: False disables certificate checks (never do this in production).
        ssl_context: A context to use as is.
        cert: A client certificate for TLS client authentication (RFC 8705):
            one PEM file holding certificate and key, or ``(certfile, keyfile)``.
            With ``ssl_context`` the certificate is loaded into that context;
            without it, into a default context that trusts the system's CAs.
    """
    if cert is not None:
        certfile, keyfile = (cert, None) if isinstance(cert, str) else cert
        if ssl_context is not None:
            ssl_context.load_cert_chain(certfile, keyfile)
            return ssl_context
        key = (certfile, keyfile)
        context = _cert_contexts.get(key)
        if context is None:
            context = ssl.create_default_context()
            context.load_cert_chain(certfile, keyfile)
            _cert_contexts[key] = context
        return context
    if ssl_context is not None:
        return ssl_context
    return True if verify_ssl else False


def request_options(
    verify_ssl: bool,
    ssl_context: ssl.SSLContext | None,
    cert: str | tuple[str, str] | None,
    proxy: str | None,
) -> dict[str, Any]:
    """aiohttp request arguments for the seed API's TLS and proxy parameters."""
    options: dict[str, Any] = {}
    if not verify_ssl or ssl_context is not None or cert is not None:
        options["ssl"] = ssl_option(verify_ssl=verify_ssl, ssl_context=ssl_context, cert=cert)
    if proxy is not None:
        options["proxy"] = proxy
    return options


async def read_bounded(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """Read a whole body, refusing one larger than ``limit`` bytes."""
    length = response.content_length
    if length is not None and length > limit:
        raise TokenResponseError(
            f"The token endpoint answered {length} bytes, more than the {limit} allowed.",
            status=response.status,
            content_type=response.content_type,
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise TokenResponseError(
                f"The token endpoint answered more than the {limit} bytes allowed.",
                status=response.status,
                content_type=response.content_type,
            )
        chunks.append(chunk)
    return b"".join(chunks)


async def with_deadline(awaitable: Awaitable[T], seconds: float | None, what: str) -> T:
    """Await ``awaitable`` within ``seconds`` in total, or raise DeadlineExceededError."""
    try:
        async with asyncio.timeout(seconds):
            return await awaitable
    except TimeoutError as exc:
        if isinstance(exc, DeadlineExceededError):
            raise
        raise DeadlineExceededError(f"{what} took longer than {seconds} seconds.") from exc


async def maybe_await(value: T | Awaitable[T]) -> T:
    """Await ``value`` if a sync-or-async callback returned an awaitable."""
    if inspect.isawaitable(value):
        return await value
    return value


class ResponseContext(Protocol):
    """What ``session.get(...)`` returns: await it, or use it with ``async with``.

    ``resp = await s.get(url)`` gives the ``aiohttp.ClientResponse``;
    ``async with s.get(url) as resp:`` also releases the connection at the end.
    It is either a :class:`RequestContext` or, on the fast path of an authorized
    request that needs nothing but its header, aiohttp's own request context.
    """

    def __await__(self) -> Generator[Any, None, aiohttp.ClientResponse]: ...

    async def __aenter__(self) -> aiohttp.ClientResponse: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class RequestContext:
    """What ``session.get(...)`` returns: await it, or use it with ``async with``.

    ``resp = await s.get(url)`` gives the ``aiohttp.ClientResponse``;
    ``async with s.get(url) as resp:`` also releases the connection at the end.
    """

    __slots__ = ("_coro", "_response")

    def __init__(self, coro: Coroutine[Any, Any, aiohttp.ClientResponse]):
        self._coro = coro
        self._response: aiohttp.ClientResponse | None = None

    def __await__(self) -> Generator[Any, None, aiohttp.ClientResponse]:
        return self._coro.__await__()

    async def __aenter__(self) -> aiohttp.ClientResponse:
        self._response = await self._coro
        return self._response

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._response is not None:
            self._response.release()
            await self._response.wait_for_close()


class SessionHolder:
    """Owns a lazily created ``aiohttp.ClientSession``, or borrows the caller's.

    The session is created on first use, inside the running event loop, so an
    OAuth session may be constructed in synchronous code (as the seed examples
    do). A borrowed session is never closed by us.
    """

    __slots__ = ("_borrowed", "_options", "_session")

    def __init__(self, session: aiohttp.ClientSession | None, options: dict[str, Any]):
        self._session = session
        self._borrowed = session is not None
        self._options = options

    @property
    def session(self) -> aiohttp.ClientSession:
        """The aiohttp session, created now if needed."""
        session = self._session
        if session is None or (session.closed and not self._borrowed):
            session = self._session = aiohttp.ClientSession(**self._options)
        return session

    async def close(self) -> None:
        """Close the session if we own it."""
        if self._session is not None and not self._borrowed:
            await self._session.close()
            self._session = None
