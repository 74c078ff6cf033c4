"""The plumbing both OAuth versions share: one aiohttp session, owned or borrowed,
bounded reads, TLS options, Basic credentials, and the awaitable request handle.

Nothing here knows about OAuth; it keeps the session classes about protocol.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import os
import ssl
from collections.abc import Awaitable, Coroutine, Generator, Mapping
from types import TracebackType
from typing import Any, Final, Protocol, TypeVar
from urllib.parse import quote

import aiohttp
from oauthlib.oauth2 import InsecureTransportError
from oauthlib.oauth2.rfc6749.utils import is_secure_transport
from yarl import URL

from ..errors import DeadlineExceededError, TokenResponseError
from .budget import effective_deadline
from .tls import ClientCertificate

T = TypeVar("T")

#: Token answers are a few KB; anything much larger is broken or hostile.
MAX_TOKEN_RESPONSE_BYTES: Final = 1024 * 1024
#: Total deadline of a token request, connection to last byte, in seconds.
DEFAULT_TOKEN_TIMEOUT: Final = 10.0
#: Redirect statuses that aiohttp would follow.
REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})

BasicCredentials = tuple[str, str] | aiohttp.BasicAuth


_INSECURE_TRANSPORT_VARIABLE: Final = "OAUTHLIB_INSECURE_TRANSPORT"
# os.environ keeps its encoded copy in a plain dict that every change to os.environ
# updates: a lookup there gives oauthlib's answer (a non-empty value) without encoding
# the name and decoding the value on every request. CPython's layout on every
# platform; anything else falls back to oauthlib's own check.
# Hot paths inline the check: ``ENVIRON.get(INSECURE_TRANSPORT_KEY)`` is truthy when
# the variable is set; ENVIRON is None where :func:`secure_transport` must decide.
ENVIRON: Mapping[Any, Any] | None = getattr(os.environ, "_data", None)
INSECURE_TRANSPORT_KEY: Any = None
try:
    INSECURE_TRANSPORT_KEY = os.environ.encodekey(_INSECURE_TRANSPORT_VARIABLE)
except AttributeError:  # not CPython's os.environ
    ENVIRON = None


def secure_transport(url: str) -> bool:
    """oauthlib's ``is_secure_transport``: https, or OAUTHLIB_INSECURE_TRANSPORT set.

    Read from the environment on each call, as oauthlib does, at a fraction of
    the cost: authorized requests to plain-http URLs (local development, tests,
    benchmarks) make this check every time.
    """
    if url.startswith("https://"):
        return True
    if ENVIRON is None:
        return is_secure_transport(url)
    if ENVIRON.get(INSECURE_TRANSPORT_KEY):
        return True
    return url.lower().startswith("https://")


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


_certificates: dict[tuple[str, str | None, bool], ClientCertificate] = {}


def ssl_option(
    *,
    verify_ssl: bool = True,
    ssl_context: ssl.SSLContext | None = None,
    cert: str | tuple[str, str] | None = None,
) -> ssl.SSLContext | bool:
    """The value for aiohttp's ``ssl=`` argument.

    Args:
        verify_ssl: False disables certificate checks (never do this in production);
            also with ``cert``.
        ssl_context: A context to use as is. It is never modified: with ``cert``,
            a new context with its CAs and checks holds the certificate.
        cert: A client certificate for TLS client authentication (RFC 8705):
            one PEM file holding certificate and key, or ``(certfile, keyfile)``.
            Without ``ssl_context`` it is loaded into a context that trusts the
            system's CAs, kept, and reloaded when the files change.
    """
    if cert is not None:
        certfile, keyfile = (cert, None) if isinstance(cert, str) else cert
        if ssl_context is not None:
            return ClientCertificate(
                certfile, keyfile, base=ssl_context, verify=verify_ssl
            ).context()
        key = (certfile, keyfile, verify_ssl)
        certificate = _certificates.get(key)
        if certificate is None:
            certificate = _certificates[key] = ClientCertificate(
                certfile, keyfile, verify=verify_ssl
            )
        return certificate.context()
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


def requests_options(kwargs: dict[str, Any], url: str, options: dict[str, Any]) -> dict[str, Any]:
    """Take requests' ``verify=`` and ``proxies=`` out of ``kwargs``, as aiohttp options.

    Code ported from requests-oauthlib passes them to ``fetch_token``; left in
    ``kwargs`` they would be sent to the provider as form fields (a proxy URL
    with its password included).

    * ``verify=False`` turns certificate checks off; ``verify=True`` changes
      nothing; ``verify="/path/ca.pem"`` trusts that bundle only, as requests does.
    * ``proxies={"https": url}`` picks the proxy for ``url``'s scheme (or
      ``"all"``, or ``"https://host"``), as requests does.

    Args:
        kwargs: The caller's keyword arguments; ``verify`` and ``proxies`` are removed.
        url: The URL the request goes to.
        options: The aiohttp options made so far (``ssl``, ``proxy``); not modified.

    Returns:
        The aiohttp options, with the mapped ones.

    Raises:
        TypeError: A value that has no aiohttp equivalent, or one given twice.
    """
    result = dict(options)
    if "verify" in kwargs:
        verify = kwargs.pop("verify")
        if "ssl" in result and verify is not True:
            raise TypeError("Give verify= or verify_ssl=/ssl_context=/cert=, not both.")
        if verify is False:
            result["ssl"] = False
        elif isinstance(verify, str | os.PathLike):
            result["ssl"] = ssl.create_default_context(cafile=os.fspath(verify))
        elif verify is not True:
            raise TypeError("verify= must be True, False or the path of a CA bundle.")
    if "proxies" in kwargs:
        proxies = kwargs.pop("proxies")
        if proxies is None:
            return result
        if not isinstance(proxies, Mapping):
            raise TypeError("proxies= must be a mapping such as {'https': 'http://proxy:3128'}.")
        target = URL(url)
        for key in (f"{target.scheme}://{target.host}", target.scheme, "all"):
            chosen = proxies.get(key)
            if chosen is not None:
                if "proxy" in result:
                    raise TypeError("Give proxy= or proxies=, not both.")
                if not isinstance(chosen, str | URL):
                    raise TypeError("Each proxies= value must be a proxy URL.")
                result["proxy"] = chosen
                break
    return result


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


async def with_deadline(
    awaitable: Awaitable[T],
    seconds: float | None,
    what: str,
    *,
    session_timeout: aiohttp.ClientTimeout | None = None,
) -> T:
    """Await ``awaitable`` within ``seconds`` in total, or raise DeadlineExceededError.

    The deadline is also cut short by a :func:`~quart_oauthlib.client.budget.time_budget`
    around the call. The error names the limit that really ran out: ours, the
    budget's, or the aiohttp session's own ``timeout`` (``session_timeout``).
    """
    limit, budget = effective_deadline(seconds)
    try:
        async with asyncio.timeout(limit) as timer:
            return await awaitable
    except TimeoutError as exc:
        if isinstance(exc, DeadlineExceededError):
            raise
        if timer.expired():
            if budget is not None:
                raise DeadlineExceededError(
                    f"{what} ran out of the {budget:g} s time budget of the whole operation."
                ) from exc
            raise DeadlineExceededError(f"{what} took longer than {seconds:g} s.") from exc
        raise DeadlineExceededError(
            f"{what} timed out by the HTTP session's own timeout"
            f" ({describe_timeout(session_timeout)})."
        ) from exc


def describe_timeout(timeout: aiohttp.ClientTimeout | None) -> str:
    """The figures an ``aiohttp.ClientTimeout`` sets, for a message."""
    if timeout is None:
        return "unknown"
    parts = [
        f"{name}={value:g} s"
        for name in ("total", "connect", "sock_connect", "sock_read")
        if (value := getattr(timeout, name)) is not None
    ]
    return ", ".join(parts) or "none set"


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

    __slots__ = ("_borrowed", "_options", "current")

    def __init__(self, session: aiohttp.ClientSession | None, options: dict[str, Any]):
        #: The session, or None before the first use of an owned one. Read as it is by
        #: the hot paths; :attr:`session` also replaces an owned one closed behind our back.
        self.current = session
        self._borrowed = session is not None
        self._options = options

    @property
    def session(self) -> aiohttp.ClientSession:
        """The aiohttp session, created now if needed."""
        session = self.current
        if session is None or (session.closed and not self._borrowed):
            session = self.current = aiohttp.ClientSession(**self._options)
        return session

    async def close(self) -> None:
        """Close the session if we own it."""
        if self.current is not None and not self._borrowed:
            await self.current.close()
            self.current = None
