"""Serve the example app and the development provider together, in one asyncio program.

Both run under Hypercorn on 127.0.0.1 and stop together when the shared
shutdown event is set (by Ctrl-C, in :mod:`example_app.__main__`).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart

from .app import create_app
from .dev_provider import DevProviderSettings, create_dev_provider
from .settings import ExampleSettings, dev_client

__all__ = ["LOOPBACK", "Servers", "build_servers", "listen_on_loopback", "serve_together"]

#: Where everything listens: this machine only (the dev provider must never be reachable
#: from a network, and the app runs on plain http).
LOOPBACK = "127.0.0.1"

# Hypercorn's default access log line has the referrer, which can be a callback URL
# carrying an authorization code; method, path (no query) and status are enough.
_ACCESS_LOG_FORMAT = '%(h)s "%(m)s %(U)s" %(s)s'


def listen_on_loopback(port: int) -> socket.socket:
    """A TCP socket listening on ``127.0.0.1:port`` (``0``: any free port).

    Binding before Hypercorn starts lets port 0 work (the URLs are known before
    the apps are built) and makes a busy port fail at once, with a clear error.

    Raises:
        OSError: The port is taken (``errno.EADDRINUSE``) or not allowed.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((LOOPBACK, port))
        sock.listen(128)  # connections made before Hypercorn accepts simply wait
    except OSError:
        sock.close()
        raise
    return sock


Listener = tuple[str, Quart, socket.socket]


@dataclass(frozen=True)
class Servers:
    """The apps to serve, each with its listening socket, and where they are.

    Attributes:
        listeners: ``(name, app, socket)`` for the example app, then the dev provider.
        settings: The example app's settings.
        app_url: The example app's base URL.
        provider_url: The dev provider's base URL, when it runs.
    """

    listeners: list[Listener]
    settings: ExampleSettings
    app_url: str
    provider_url: str | None

    @property
    def apps(self) -> dict[str, Quart]:
        """The apps by name: ``"app"``, and ``"dev-provider"`` when it runs."""
        return {name: app for name, app, _sock in self.listeners}


def build_servers(
    env: Mapping[str, str],
    app_socket: socket.socket,
    provider_socket: socket.socket | None,
    token_lifetime: int = 300,
) -> Servers:
    """The example app, and the dev provider unless ``provider_socket`` is None.

    Args:
        env: Environment variables (for real providers' credentials).
        app_socket: Where the example app listens (see :func:`listen_on_loopback`).
        provider_socket: Where the dev provider listens, or None to go without it.
        token_lifetime: Seconds the dev provider's access tokens live.

    Raises:
        ConfigurationError: A provider's settings are wrong, or there is none.
    """
    app_url = _url_of(app_socket)
    provider_url = _url_of(provider_socket) if provider_socket is not None else None
    settings = ExampleSettings.build(env, dev_provider_url=provider_url)
    listeners: list[Listener] = [("app", create_app(settings), app_socket)]
    if provider_socket is not None and provider_url is not None:
        provider_settings = DevProviderSettings(
            issuer=provider_url,
            clients=(dev_client(app_socket.getsockname()[1]),),
            access_token_lifetime=token_lifetime,
            # The modern dev login meets a provider as strict as FAPI 2.0 ones:
            # unpushed requests are refused, and every DPoP proof needs its nonce.
            require_par=settings.dev_modern,
            dpop_nonce=settings.dev_modern,
        )
        listeners.append(("dev-provider", create_dev_provider(provider_settings), provider_socket))
    return Servers(listeners, settings, app_url, provider_url)


def _url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}"


def _hypercorn_config(sock: socket.socket, name: str) -> Config:
    config = Config()
    # Hypercorn takes the socket over by file descriptor; detach so that only it closes it.
    config.bind = [f"fd://{sock.detach()}"]
    config.accesslog = logging.getLogger(f"example_app.access.{name}")
    config.access_log_format = _ACCESS_LOG_FORMAT
    config.errorlog = logging.getLogger("hypercorn.error")
    config.graceful_timeout = 2.0  # Ctrl-C waits at most this long for open requests
    return config


async def serve_together(
    servers: Sequence[Listener],
    shutdown: asyncio.Event,
    on_ready: Callable[[], None],
) -> None:
    """Serve each ``(name, app, socket)`` until ``shutdown`` is set.

    ``on_ready`` is called once every app has started (its ``before_serving``
    hooks ran). If one server fails, the others are stopped too.
    """
    started = [asyncio.Event() for _ in servers]
    for (_name, app, _sock), event in zip(servers, started, strict=True):
        app.before_serving(_setter(event))

    async def announce() -> None:
        for event in started:
            await event.wait()
        on_ready()

    async with asyncio.TaskGroup() as group:
        for name, app, sock in servers:
            config = _hypercorn_config(sock, name)
            group.create_task(serve(app, config, shutdown_trigger=shutdown.wait))
        group.create_task(announce())


def _setter(event: asyncio.Event) -> Callable[[], Awaitable[None]]:
    async def set_event() -> None:
        event.set()

    return set_event
