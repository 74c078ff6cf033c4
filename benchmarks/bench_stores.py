"""Token stores side by side: read/write latency, and protected-request throughput.

Part 1 times ``get`` and ``set`` of one token, sequentially, on each store:
the signed-cookie session store (inside a request context: its cost is the
cookie-size check and the copy, with no I/O), SQLite (aiosqlite, a temporary
file), PostgreSQL (asyncpg) and Redis, plain and with Fernet encryption.

Part 2 serves the protected route of :mod:`benchmarks.bench_extension`
(``@oauth.require`` then ``oauth.bench.get(...)`` to a local resource) with
hypercorn in another process, once per store, and applies the same bounded
load to each: requests/s, p50/p99 latency, app CPU per request.

PostgreSQL and Redis come from ``QUART_OAUTHLIB_TEST_POSTGRES_URL`` and
``QUART_OAUTHLIB_TEST_REDIS_URL`` (``.ci/services.sh start`` prints them);
a store without its URL is left out.

Run: ``python -m benchmarks.bench_stores``
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import secrets
import socket
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from benchmarks._cpu import pin
from benchmarks._resource_server import _wait_ready, resource_server
from benchmarks.bench_extension import (
    CONCURRENCY,
    SECRET_KEY,
    TOKEN,
    _cpu_seconds,
    _load,
    _summary,
    add_cpu_route,
    session_cookie,
)

OPS = 2_000
REQUESTS = 500
WARMUP = 300
ROUNDS = 12
KEY = "8yQ3u2LqAx3v2cQ2I9r0rVQp6b6bQ5xYl7m0Jt8mC4Q="  # a fixed Fernet key for the run


def store_urls(tmp: str) -> dict[str, str]:
    """Each store's URL (``session`` for the cookie); those without a server are left out."""
    urls = {"session": "session", "sqlite": f"sqlite:///{tmp}/bench.sqlite3"}
    for name, env in (
        ("postgres", "QUART_OAUTHLIB_TEST_POSTGRES_URL"),
        ("redis", "QUART_OAUTHLIB_TEST_REDIS_URL"),
    ):
        if os.environ.get(env):
            urls[name] = os.environ[env]
        else:
            print(f"({name}: {env} not set, left out)")
    return urls


# -- part 1: get / set latency ---------------------------------------------------------


async def _time(op: Callable[[], Awaitable[Any]]) -> list[float]:
    for _ in range(OPS // 10):
        await op()
    out = []
    for _ in range(OPS):
        start = time.perf_counter()
        await op()
        out.append(time.perf_counter() - start)
    return out


async def _latency(url: str, keys: str | None) -> tuple[list[float], list[float]]:
    from quart import Quart

    from quart_oauthlib.storage import store_from_url
    from quart_oauthlib.storage._factory import close_store
    from quart_oauthlib.storage.session import SessionTokenStore

    token = {**TOKEN, "refresh_token": secrets.token_urlsafe(24), "scope": "read"}
    if url == "session":
        app = Quart("bench")
        app.secret_key = SECRET_KEY
        store: Any = SessionTokenStore()
        async with app.test_request_context("/"):
            return await _time(lambda: store.get("bench", "u")), await _time(
                lambda: store.set("bench", "u", token)
            )
    store = store_from_url(url, encryption_keys=keys)
    user = f"user:{secrets.token_hex(4)}"
    try:
        await store.set("bench", user, token)
        reads = await _time(lambda: store.get("bench", user))
        writes = await _time(lambda: store.set("bench", user, token))
    finally:
        await store.delete("bench", user)
        await close_store(store)
    return reads, writes


def _us(values: list[float]) -> str:
    cuts = statistics.quantiles(values, n=100)
    return f"{cuts[49] * 1e6:>9.0f}{cuts[98] * 1e6:>9.0f}"


async def part1(urls: dict[str, str]) -> None:
    print(f"\nToken get/set latency, {OPS} sequential ops each (microseconds)")
    print(f"{'store':<22}{'get p50':>9}{'get p99':>9}{'set p50':>9}{'set p99':>9}")
    for name, url in urls.items():
        for keys in (None, KEY) if name != "session" else (None,):
            reads, writes = await _latency(url, keys)
            label = name + (" + Fernet" if keys else "")
            print(f"{label:<22}{_us(reads)}{_us(writes)}")


# -- part 2: protected-request throughput ----------------------------------------------


def create_app(resource: str, store_url: str) -> Any:
    """The protected route of bench_extension, with its token in ``store_url``."""
    from quart import Quart, request

    from quart_oauthlib import QuartOAuth

    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    app = Quart("bench")
    app.config.update(
        SECRET_KEY=SECRET_KEY,
        OAUTH_TOKEN_STORE=store_url,
        OAUTH_PROVIDERS={
            "bench": {
                "client_id": "bench-client",
                "client_secret": "bench-secret",
                "authorize_url": f"{resource}/authorize",
                "token_url": f"{resource}/token",
            }
        },
    )
    server_side = store_url != "session"
    loader = (lambda: request.headers.get("X-User")) if server_side else None
    oauth = QuartOAuth(app, user_id_loader=loader)
    url = f"{resource}/resource"

    @app.before_serving
    async def seed() -> None:
        if server_side:
            await app.extensions["quart_oauthlib"].store.set("bench", "user:alice", TOKEN)

    @app.route("/protected")
    @oauth.require("bench")
    async def protected() -> Any:
        async with oauth.bench.get(url) as resp:
            return await resp.read(), resp.status, {"Content-Type": "application/json"}

    add_cpu_route(app)
    return app


def _serve(resource: str, store_url: str, port: int) -> None:
    pin("app")
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    asyncio.run(serve(create_app(resource, store_url), config))


async def _measure(base: str) -> dict[str, float]:
    headers = {"Cookie": f"session={session_cookie()}", "X-User": "alice"}
    rates, lat, cpu = [], [], []
    async with aiohttp.ClientSession(base) as http:
        await _load(base, "/protected", WARMUP, headers, http)
        for _ in range(ROUNDS):
            cpu0 = await _cpu_seconds(http)
            seconds, latencies = await _load(base, "/protected", REQUESTS, headers, http)
            cpu.append((await _cpu_seconds(http) - cpu0) / REQUESTS)
            rates.append(REQUESTS / seconds)
            lat.extend(latencies)
    return _summary(rates, lat, cpu)


def part2(urls: dict[str, str]) -> None:
    print(
        f"\nProtected route -> local resource, per store: {CONCURRENCY} in flight, "
        f"{ROUNDS} x {REQUESTS} requests, {os.cpu_count()} CPUs"
    )
    print(f"{'store':<22}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'app CPU us/req':>16}")
    ctx = multiprocessing.get_context("spawn")
    with resource_server() as resource:
        for name, url in urls.items():
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
            server = ctx.Process(target=_serve, args=(resource, url, port), daemon=True)
            server.start()
            try:
                _wait_ready(port)
                row = asyncio.run(_measure(f"http://127.0.0.1:{port}"))
            finally:
                server.terminate()
                server.join(5)
            print(
                f"{name:<22}{row['rps']:>10.0f}{row['p50']:>10.2f}{row['p99']:>10.2f}"
                f"{row['cpu_us']:>16.0f}"
            )


def main_sync() -> None:
    pin("load")
    with tempfile.TemporaryDirectory() as tmp:
        urls = store_urls(tmp)
        asyncio.run(part1(urls))
        part2(urls)


if __name__ == "__main__":
    main_sync()
