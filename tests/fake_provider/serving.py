"""Start an ``aiohttp.web`` application on 127.0.0.1, over TLS from a test CA."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import trustme
from aiohttp import web
from yarl import URL


@dataclass(frozen=True)
class TLS:
    """A throw-away CA with a server certificate for 127.0.0.1 and localhost."""

    ca: trustme.CA
    server_context: ssl.SSLContext
    client_context: ssl.SSLContext
    ca_pem_path: str

    @classmethod
    def create(cls, tmp_path: str) -> TLS:
        ca = trustme.CA()
        server_cert = ca.issue_cert("127.0.0.1", "localhost")
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_cert.configure_cert(server_context)
        # Ask for (but do not require) a client certificate, for RFC 8705 tests.
        ca.configure_trust(server_context)
        server_context.verify_mode = ssl.CERT_OPTIONAL
        client_context = ssl.create_default_context()
        ca.configure_trust(client_context)
        ca_pem_path = f"{tmp_path}/ca.pem"
        ca.cert_pem.write_to_path(ca_pem_path)
        return cls(ca, server_context, client_context, ca_pem_path)


@asynccontextmanager
async def serve(app: web.Application, tls: TLS | None = None) -> AsyncIterator[URL]:
    """Serve ``app`` on a free port of 127.0.0.1; yield its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls.server_context if tls else None)
    await site.start()
    server = site._server
    assert server is not None
    port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
    scheme = "https" if tls else "http"
    try:
        yield URL(f"{scheme}://127.0.0.1:{port}")
    finally:
        await runner.cleanup()
