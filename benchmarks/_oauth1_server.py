"""An OAuth 1 protected resource in its own process, so its CPU is not counted.

Every request must carry an ``Authorization: OAuth ...`` header; one in
``VERIFY_EVERY`` is verified in full with oauthlib's ``SignatureOnlyEndpoint``
(the others only checked for shape, to keep the server from becoming the
bottleneck). ``GET /stats`` tells how many were verified and rejected.
"""

from __future__ import annotations

import json
import multiprocessing
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web
from oauthlib.common import Request
from oauthlib.oauth1 import RequestValidator, SignatureOnlyEndpoint

CLIENT_KEY = "benchclientkeybenchclient"
CLIENT_SECRET = "bench-client-secret"
TOKEN = "benchaccesstokenbenchaccess"
TOKEN_SECRET = "bench-token-secret"
VERIFY_EVERY = 25


class _Validator(RequestValidator):
    """Knows one client and one token; accepts repeated nonces (the bare client reuses one)."""

    @property
    def enforce_ssl(self) -> bool:
        return False

    @property
    def dummy_client(self) -> str:
        return "dummyclientkeydummyclient"

    @property
    def dummy_access_token(self) -> str:
        return "dummyaccesstokendummyacce"

    def validate_client_key(self, client_key: str, request: Request) -> bool:
        return client_key == CLIENT_KEY

    def get_client_secret(self, client_key: str, request: Request) -> str:
        return CLIENT_SECRET

    def validate_access_token(self, client_key: str, token: str, request: Request) -> bool:
        return token == TOKEN

    def get_access_token_secret(self, client_key: str, token: str, request: Request) -> str:
        return TOKEN_SECRET

    def validate_timestamp_and_nonce(
        self,
        client_key: str,
        timestamp: str,
        nonce: str,
        request: Request,
        request_token: str | None = None,
        access_token: str | None = None,
    ) -> bool:
        return True


def _app() -> web.Application:
    endpoint = SignatureOnlyEndpoint(_Validator())
    stats = {"requests": 0, "verified": 0, "rejected": 0}
    body = json.dumps({"id": 1, "screen_name": "bench"}).encode()

    async def resource(request: web.Request) -> web.Response:
        stats["requests"] += 1
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("OAuth ") or "oauth_signature=" not in auth:
            stats["rejected"] += 1
            return web.Response(status=401)
        if stats["requests"] % VERIFY_EVERY == 0:
            valid, _ = endpoint.validate_request(
                str(request.url), request.method, None, dict(request.headers)
            )
            stats["verified" if valid else "rejected"] += 1
            if not valid:
                return web.Response(status=401)
        return web.Response(body=body, content_type="application/json")

    async def get_stats(request: web.Request) -> web.Response:
        return web.json_response(stats)

    app = web.Application()
    app.router.add_get("/1.1/account/settings.json", resource)
    app.router.add_get("/stats", get_stats)
    return app


def _serve(sock: socket.socket) -> None:
    web.run_app(_app(), sock=sock, print=None, access_log=None, handle_signals=False)


@contextmanager
def oauth1_server() -> Iterator[str]:
    """Run the server in a child process on 127.0.0.1; yield its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    port = sock.getsockname()[1]
    proc = multiprocessing.get_context("spawn").Process(target=_serve, args=(sock,), daemon=True)
    proc.start()
    sock.close()
    try:
        _wait_ready(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.join(5)


def _wait_ready(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("benchmark server did not start")
