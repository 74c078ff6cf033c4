"""What every OAuth session shares: the wrapped aiohttp session, the HTTP verbs,
and the ``async with`` lifecycle. The subclasses add only protocol."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

import aiohttp
from yarl import URL

from ..errors import ConfigurationError
from ._transport import ResponseContext, SessionHolder


class BaseSession:
    """Wraps (never subclasses) an ``aiohttp.ClientSession``, owned or borrowed.

    Args:
        session: An ``aiohttp.ClientSession`` to borrow; it stays yours to close.
        options: Options for the ``aiohttp.ClientSession`` created otherwise.
    """

    def __init__(self, session: aiohttp.ClientSession | None, options: dict[str, Any]):
        if session is not None and options:
            raise ConfigurationError(
                f"Options for a new aiohttp session ({', '.join(sorted(options))}) "
                "cannot apply to a borrowed session."
            )
        self._http = SessionHolder(session, options)

    @property
    def http(self) -> aiohttp.ClientSession:
        """The aiohttp session requests go through (created on first use)."""
        return self._http.session

    def request(self, method: str, url: str | URL, **kwargs: Any) -> ResponseContext:
        """Send an authorized request; subclasses define how."""
        raise NotImplementedError

    def get(self, url: str | URL, **kwargs: Any) -> ResponseContext:
        """Send a GET request; see :meth:`request`."""
        return self.request("GET", url, **kwargs)

    def options(self, url: str | URL, **kwargs: Any) -> ResponseContext:
        """Send an OPTIONS request; see :meth:`request`."""
        return self.request("OPTIONS", url, **kwargs)

    def head(self, url: str | URL, **kwargs: Any) -> ResponseContext:
        """Send a HEAD request (redirects not followed, as requests does); see :meth:`request`."""
        kwargs.setdefault("allow_redirects", False)
        return self.request("HEAD", url, **kwargs)

    def post(self, url: str | URL, data: Any = None, **kwargs: Any) -> ResponseContext:
        """Send a POST request; see :meth:`request`."""
        return self.request("POST", url, data=data, **kwargs)

    def put(self, url: str | URL, data: Any = None, **kwargs: Any) -> ResponseContext:
        """Send a PUT request; see :meth:`request`."""
        return self.request("PUT", url, data=data, **kwargs)

    def patch(self, url: str | URL, data: Any = None, **kwargs: Any) -> ResponseContext:
        """Send a PATCH request; see :meth:`request`."""
        return self.request("PATCH", url, data=data, **kwargs)

    def delete(self, url: str | URL, **kwargs: Any) -> ResponseContext:
        """Send a DELETE request; see :meth:`request`."""
        return self.request("DELETE", url, **kwargs)

    async def close(self) -> None:
        """Close the aiohttp session, if this session created it."""
        await self._http.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
