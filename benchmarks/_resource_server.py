"""A tiny resource + token server in its own process, so its CPU is not counted.

Accepts any ``Authorization: Bearer <token>`` whose token it issued (or the
static ``bench-token``), and counts refresh grants so the refresh-storm
benchmark can check that exactly one reached it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import multiprocessing
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web

from benchmarks._cpu import pin

STATIC_TOKEN = "bench-token"


def _app() -> web.Application:
    counter = itertools.count(1)
    valid = {STATIC_TOKEN}
    stats = {"refresh_grants": 0, "other_grants": 0, "resource_requests": 0, "rejected": 0}
    body = json.dumps({"sub": "alice", "name": "Alice"}).encode()

    async def resource(request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in valid:
            stats["rejected"] += 1
            return web.Response(status=401)
        stats["resource_requests"] += 1
        return web.Response(body=body, content_type="application/json")

    async def dpop_resource(request: web.Request) -> web.Response:
        # DPoP-bound calls (bench_dpop): the token and a proof must come. The proof is not
        # verified: this server's CPU is not what is measured.
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("DPoP ") or auth[5:] not in valid or "DPoP" not in request.headers:
            stats["rejected"] += 1
            return web.Response(status=401)
        stats["resource_requests"] += 1
        return web.Response(body=body, content_type="application/json")

    async def token(request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("grant_type") == "refresh_token":
            stats["refresh_grants"] += 1
            await asyncio.sleep(0.05)  # a realistic token endpoint takes a while
        else:
            stats["other_grants"] += 1
        access = f"tok-{next(counter)}"
        valid.add(access)
        answer = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": 3600,
            "refresh_token": f"rt-{access}",
        }
        return web.json_response(answer)

    async def get_stats(request: web.Request) -> web.Response:
        return web.json_response(stats)

    async def reset(request: web.Request) -> web.Response:
        for key in stats:
            stats[key] = 0
        return web.json_response(stats)

    app = web.Application()
    app.router.add_get("/resource", resource)
    app.router.add_get("/dpop-resource", dpop_resource)
    app.router.add_post("/token", token)
    app.router.add_get("/stats", get_stats)
    app.router.add_post("/reset", reset)
    return app


def _serve(sock: socket.socket) -> None:
    pin("helper")
    web.run_app(_app(), sock=sock, print=None, access_log=None, handle_signals=False)


@contextmanager
def resource_server() -> Iterator[str]:
    """Run the server in a child process on 127.0.0.1; yield its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    port = sock.getsockname()[1]
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=_serve, args=(sock,), daemon=True)
    proc.start()
    sock.close()
    try:
        _wait_ready(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.join(5)


def _wait_ready(port: int) -> None:
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("benchmark server did not start")
