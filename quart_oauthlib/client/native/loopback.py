"""RFC 8252 loopback redirect: catch the authorization response on 127.0.0.1.

A native app (a script, a command-line tool) cannot keep a secret and has no
web server. It listens on a loopback port for the one redirect that carries
its code, and uses PKCE so that a code caught by another app is useless.

The listener serves only the callback path, answers exactly one callback, and
is closed on every way out: success, error, timeout, cancellation.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import socket
import sys
import webbrowser
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Protocol

from aiohttp import web

from ...errors import (
    AuthorizationError,
    CallbackStateError,
    IssuerMismatchError,
    LoginDeniedError,
    LoginTimeoutError,
)
from .device import printable

if TYPE_CHECKING:
    from .._oauth2_base import Token


class LoopbackSession(Protocol):
    """What the loopback login needs of a session (``OAuth2Session`` has it).

    A protocol, so that this module never imports the session's module, which
    offers ``login_with_browser`` and imports this one.
    """

    redirect_uri: str | None
    _pkce: Any

    def new_state(self) -> str: ...

    def authorization_url(
        self, url: str, state: str | None = None, **kwargs: Any
    ) -> tuple[str, str]: ...

    async def fetch_token(self, token_url: str, **kwargs: Any) -> Token: ...


__all__ = ["BrowserOpener", "LoopbackListener", "login_with_browser"]

log = logging.getLogger("quart_oauthlib")

#: Opens the authorization URL: sync or async; what it returns is ignored.
BrowserOpener = Callable[[str], "Awaitable[Any] | Any"]

LOOPBACK_HOST: Final = "127.0.0.1"
DEFAULT_LOGIN_TIMEOUT: Final = 300.0
#: Seconds an ``open_browser`` still running after the callback may take to finish.
_BROWSER_GRACE: Final = 2.0
_HEADERS: Final = {
    # The page is answered to a URL holding the code: keep it out of caches and
    # out of the Referer of anything the page could load (it loads nothing).
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}
_PAGE: Final = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:4em auto;max-width:32em;text-align:center}}</style>
</head><body><h1>{title}</h1><p>{text}</p></body></html>
"""


def _page(status: int, title: str, text: str) -> web.Response:
    return web.Response(
        status=status,
        text=_PAGE.format(title=title, text=text),
        content_type="text/html",
        charset="utf-8",
        headers=_HEADERS,
    )


class LoopbackListener:
    """A one-shot HTTP listener on 127.0.0.1 for the authorization response.

    Use it as an async context manager; :attr:`redirect_uri` is known once it
    is entered, and the port is closed when it is left.

    Args:
        state: The ``state`` sent in the authorization request; a callback
            without exactly this one raises :class:`CallbackStateError`.
        port: The port to listen on; 0 (the default) picks a free one. Use a
            fixed port only for a provider that cannot ignore the port of a
            loopback redirect URI (RFC 8252 §7.3 says it must).
        path: The callback path.
        issuer: The provider's issuer: a callback whose ``iss`` (RFC 9207) is
            another is refused. A callback without ``iss`` is accepted unless
            ``require_iss``.
        require_iss: The provider always sends ``iss`` (its metadata says
            ``authorization_response_iss_parameter_supported``).
    """

    def __init__(
        self,
        state: str,
        *,
        port: int = 0,
        path: str = "/callback",
        issuer: str | None = None,
        require_iss: bool = False,
    ):
        if not path.startswith("/"):
            raise ValueError("The callback path must start with '/'.")
        self._state = state
        self._issuer = issuer
        self._require_iss = require_iss
        self._port = port
        self._path = path
        self._runner: web.AppRunner | None = None
        self._result: asyncio.Future[dict[str, str]] | None = None
        self._answered = False
        self.redirect_uri = ""

    async def __aenter__(self) -> LoopbackListener:
        loop = asyncio.get_running_loop()
        self._result = loop.create_future()
        app = web.Application()
        app.router.add_get(self._path, self._callback)
        # A short graceful shutdown: the one answer is sent before we close.
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            # As asyncio's own servers do: the port can be listened on again at once,
            # while the browser's closed connections linger in TIME_WAIT. (On POSIX this
            # never lets two sockets listen on one port.)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((LOOPBACK_HOST, self._port))
            site = web.SockSite(runner, sock)
            await site.start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        self._runner = runner
        port = sock.getsockname()[1]
        self.redirect_uri = f"http://{LOOPBACK_HOST}:{port}{self._path}"
        self._host = f"{LOOPBACK_HOST}:{port}"
        log.debug("Listening for the authorization response on %s.", self.redirect_uri)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop listening (the port is free afterwards). Safe to call twice."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        if self._result is not None and not self._result.done():
            self._result.cancel()

    async def wait(self, timeout: float | None) -> dict[str, str]:
        """Wait for the callback; return its query parameters (code, state, iss ...).

        Raises:
            CallbackStateError: The callback's ``state`` is not ours.
            LoginDeniedError: The provider answered ``access_denied``.
            AuthorizationError: The provider answered another error.
            LoginTimeoutError: No callback within ``timeout`` seconds.
        """
        if self._result is None:
            raise RuntimeError("Enter the listener (async with) before waiting on it.")
        try:
            async with asyncio.timeout(timeout):
                params = await asyncio.shield(self._result)
        except TimeoutError:
            raise LoginTimeoutError(
                f"No authorization response reached {self.redirect_uri} within {timeout:g} seconds."
            ) from None
        return params

    async def _callback(self, request: web.Request) -> web.Response:
        # A page the user visits could point the browser at this port under
        # another name (DNS rebinding); only our own address is answered.
        if request.host != self._host:
            return _page(421, "Wrong address", "This address does not serve this sign-in.")
        if self._answered or self._result is None or self._result.done():
            return _page(409, "Already done", "This sign-in has already been completed or stopped.")
        self._answered = True
        params = {key: request.query.getone(key) for key in request.query}
        try:
            outcome = _judge(params, self._state)
            _check_issuer(params, self._issuer, self._require_iss)
        except Exception as exc:
            self._result.set_exception(exc)
            return _page(400, "Sign-in failed", _escape(str(exc)))
        self._result.set_result(outcome)
        return _page(200, "Signed in", "You can close this window and return to the application.")


def _judge(params: Mapping[str, str], state: str) -> dict[str, str]:
    received = params.get("state", "")
    # Compare in constant time: the state is the only thing that ties this
    # request to the login we started.
    if not hmac.compare_digest(received.encode(), state.encode()):
        raise CallbackStateError(
            "The authorization response's state is missing or not the one sent; "
            "no code was exchanged."
        )
    error = params.get("error")
    if error:
        error_type = LoginDeniedError if error == "access_denied" else AuthorizationError
        description = params.get("error_description")
        raise error_type(
            f"The provider answered the login with {error!r}"
            + (f": {description}" if description else "."),
            error=error,
            description=description,
            uri=params.get("error_uri"),
        )
    if not params.get("code"):
        raise AuthorizationError("The authorization response has neither a code nor an error.")
    return dict(params)


def _check_issuer(params: Mapping[str, str], issuer: str | None, required: bool) -> None:
    """RFC 9207: a response from another provider (a mix-up attack) is refused."""
    received = params.get("iss")
    if issuer is None or (received is None and not required):
        return
    if received != issuer:
        raise IssuerMismatchError(
            "The authorization response's iss is "
            + ("missing" if received is None else f"{received!r}")
            + f", not the expected issuer {issuer!r}; no code was exchanged."
        )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


async def _default_open_browser(url: str) -> None:
    """Open the system browser (in a thread: some browsers' launchers block until closed)."""
    await asyncio.to_thread(webbrowser.open, url)


async def _open(open_browser: BrowserOpener, url: str) -> None:
    result = open_browser(url)
    if isinstance(result, Awaitable):
        await result


async def login_with_browser(
    session: LoopbackSession,
    authorization_url: str,
    token_url: str,
    *,
    open_browser: BrowserOpener | None = None,
    port: int = 0,
    timeout: float | None = DEFAULT_LOGIN_TIMEOUT,
    redirect_path: str = "/callback",
    authorization_params: Mapping[str, Any] | None = None,
    issuer: str | None = None,
    require_iss: bool = False,
    **fetch_token_kwargs: Any,
) -> Token:
    """Log the user in through the browser and a loopback redirect (RFC 8252).

    See :meth:`quart_oauthlib.OAuth2Session.login_with_browser`.
    """
    opener = open_browser or _default_open_browser
    state = session.new_state()
    saved_redirect_uri, saved_pkce = session.redirect_uri, session._pkce
    browser: asyncio.Task[None] | None = None
    grace = 0.0
    try:
        async with LoopbackListener(
            state, port=port, path=redirect_path, issuer=issuer, require_iss=require_iss
        ) as listener:
            session.redirect_uri = listener.redirect_uri
            session._pkce = "S256"  # always, whatever the session uses elsewhere (RFC 8252 §8.1)
            url, _ = session.authorization_url(
                authorization_url, state=state, **dict(authorization_params or {})
            )
            print(
                f"Opening the browser to sign in. If it does not open, visit:\n  {printable(url)}",
                file=sys.stderr,
                flush=True,
            )
            browser = asyncio.create_task(_open(opener, url))
            params = await listener.wait(timeout)
            grace = _BROWSER_GRACE  # let the browser show the page it was just sent
        # The state was checked by the listener; oauthlib's own parser would
        # refuse the callback for being http (loopback is the exception, §8.3).
        return await session.fetch_token(token_url, code=params["code"], **fetch_token_kwargs)
    finally:
        session.redirect_uri, session._pkce = saved_redirect_uri, saved_pkce
        if browser is not None:
            await _settle(browser, grace)


async def _settle(browser: asyncio.Task[None], grace: float) -> None:
    """Stop the browser task if it still runs after ``grace`` seconds; its failure is logged."""
    if grace > 0 and not browser.done():
        await asyncio.wait([browser], timeout=grace)
    if not browser.done():
        browser.cancel()
    await asyncio.wait([browser])  # never raises the task's error; our own cancellation does
    if not browser.cancelled() and browser.exception() is not None:
        # The URL was printed: the user can still open it by hand.
        log.warning("Could not open the browser: %s", type(browser.exception()).__name__)
