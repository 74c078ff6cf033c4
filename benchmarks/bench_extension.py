"""A protected Quart route calling a resource through ``oauth.<name>``, against bare aiohttp.

Three processes on 127.0.0.1: the resource server, the Quart app served by
hypercorn, and this one, which applies a bounded load (a fixed number of
requests, a fixed number in flight) and measures requests/s and p50/p99
latency as the client sees them, and the app server's CPU per request (read by
the app itself, ``GET /cpu``, to the nanosecond). The app has three routes doing
the same call:

* ``/protected``: ``@oauth.require("bench")``, then ``oauth.bench.get(...)``:
  the user's token is read from the store (the signed session cookie by
  default), the request's bound session is made (lazily: see the architecture
  page of the docs), the request goes out on the app's shared aiohttp session;
* ``/bare-session``: what a hand-written app does, the token taken from the
  session cookie and the Bearer header written by hand, on a module-level
  ``aiohttp.ClientSession`` (the comparison of the target);
* ``/bare``: the same with a constant token.

All receive the same session cookie, so Quart's own session work is the
same on every side. Rounds alternate between the routes so that noise on a
shared machine hits both alike, and the app server has a core of its own
(see :mod:`benchmarks._cpu`). Plain http (OAUTHLIB_INSECURE_TRANSPORT in
the app process only): TLS would add the same cost to both sides.

Run: ``python -m benchmarks.bench_extension [session|memory]``
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import socket
import statistics
import sys
import time
from typing import TYPE_CHECKING, Any

import aiohttp

if TYPE_CHECKING:
    from quart import Quart

from benchmarks._cpu import pin
from benchmarks._resource_server import STATIC_TOKEN, _wait_ready, resource_server

#: Many short rounds: one round's CPU per request swings by about 8 % on a shared
#: machine, while a ratio taken within a short round sees the same drift on both
#: sides; the median of many such ratios holds still (160 rounds of 100: within
#: about a percent from run to run, where 12 rounds of 1,500 scattered over 5 %).
REQUESTS = 100
WARMUP = 300
CONCURRENCY = 16
ROUNDS = 160
#: bare aiohttp with a constant token; bare aiohttp with the token from the
#: session cookie (what a hand-written app must do); the extension.
ROUTES = ("/bare", "/bare-session", "/protected")
SECRET_KEY = "bench-secret-key"
TOKEN = {"access_token": STATIC_TOKEN, "token_type": "Bearer", "expires_at": 4_102_444_800}


def create_app(resource: str, store: str) -> Any:
    """The benchmarked app (built in the server process)."""
    from quart import Quart, request, session

    from quart_oauthlib import MemoryTokenStore, QuartOAuth

    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    app = Quart("bench")
    app.config.update(
        SECRET_KEY=SECRET_KEY,
        OAUTH_PROVIDERS={
            "bench": {
                "client_id": "bench-client",
                "client_secret": "bench-secret",
                "authorize_url": f"{resource}/authorize",
                "token_url": f"{resource}/token",
            }
        },
    )
    if store == "memory":
        tokens = MemoryTokenStore({("bench", "user:alice"): TOKEN})
        oauth = QuartOAuth(app, store=tokens, user_id_loader=lambda: request.headers.get("X-User"))
    else:
        oauth = QuartOAuth(app)
    url = f"{resource}/resource"
    bare: dict[str, aiohttp.ClientSession] = {}

    @app.before_serving
    async def open_bare() -> None:
        bare["http"] = aiohttp.ClientSession()

    @app.after_serving
    async def close_bare() -> None:
        await bare["http"].close()

    @app.route("/protected")
    @oauth.require("bench")
    async def protected() -> Any:
        async with oauth.bench.get(url) as resp:
            return await resp.read(), resp.status, {"Content-Type": "application/json"}

    add_cpu_route(app)

    @app.route("/bare")
    async def bare_route() -> Any:
        headers = {"Authorization": f"Bearer {STATIC_TOKEN}"}
        async with bare["http"].get(url, headers=headers) as resp:
            return await resp.read(), resp.status, {"Content-Type": "application/json"}

    @app.route("/bare-session")
    async def bare_session_route() -> Any:
        # What a hand-written app does: the user's token from the session cookie.
        token = session.get("token")
        if not token:
            return "login required", 401
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        async with bare["http"].get(url, headers=headers) as resp:
            return await resp.read(), resp.status, {"Content-Type": "application/json"}

    return app


def session_cookie() -> str:
    """A signed session cookie holding the token, as a signed-in browser would send."""
    from quart import Quart

    app = Quart("cookie")
    app.secret_key = SECRET_KEY
    data = {
        "_oauth_uid": "bench",
        "_oauth_tokens": {"bench": {"u": "browser:bench", "t": TOKEN}},
        "token": TOKEN,
    }
    serializer = app.session_interface.get_signing_serializer(app)
    assert serializer is not None  # the secret key is set
    return str(serializer.dumps(data))


def _serve(resource: str, store: str, port: int) -> None:
    pin("app")
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    asyncio.run(serve(create_app(resource, store), config))


async def _load(
    base: str,
    path: str,
    count: int,
    headers: dict[str, str],
    http: aiohttp.ClientSession | None = None,
) -> tuple[float, list[float]]:
    """``count`` GETs with CONCURRENCY in flight; return (seconds, latencies).

    Through ``http`` when given (its connections kept from round to round, so no
    round pays for connecting), else through a session of its own.
    """
    if http is None:
        connector = aiohttp.TCPConnector(limit=CONCURRENCY)
        async with aiohttp.ClientSession(base, connector=connector, headers=headers) as own:
            return await _load(base, path, count, headers, own)
    latencies: list[float] = []
    todo = iter(range(count))
    client = http

    async def worker() -> None:
        for _ in todo:
            start = time.perf_counter()
            async with client.get(path, headers=headers) as resp:
                await resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"{path} answered {resp.status}")
            latencies.append(time.perf_counter() - start)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return time.perf_counter() - started, latencies


def add_cpu_route(app: Quart) -> None:
    """``GET /cpu``: the server's own CPU clock in nanoseconds (/proc counts in 10 ms ticks)."""

    @app.route("/cpu")
    async def cpu() -> Any:
        return str(time.process_time_ns())


async def _cpu_seconds(http: aiohttp.ClientSession) -> float:
    """The app server's CPU time, as it reads it (user + system, to the nanosecond)."""
    async with http.get("/cpu") as resp:
        return int(await resp.text()) / 1e9


def _summary(rates: list[float], latencies: list[float], cpu: list[float]) -> dict[str, Any]:
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "rps": statistics.median(rates),
        "p50": cuts[49] * 1e3,
        "p99": cuts[98] * 1e3,
        "cpu_us": statistics.median(cpu) * 1e6,
        "rounds_rps": rates,
        "rounds_cpu": cpu,
    }


def _paired(ext: dict[str, Any], base: dict[str, Any], key: str) -> float:
    """The median over rounds of ext/base, each round measured back to back.

    The machine's speed drifts over a run (shared cores); a ratio taken within
    one round sees the same drift on both sides, where a ratio of medians does not.
    """
    return float(statistics.median(e / b for e, b in zip(ext[key], base[key], strict=True)))


async def run(base: str) -> dict[str, dict[str, float]]:
    headers = {"Cookie": f"session={session_cookie()}", "X-User": "alice"}
    rates: dict[str, list[float]] = {path: [] for path in ROUTES}
    lat: dict[str, list[float]] = {path: [] for path in ROUTES}
    cpu: dict[str, list[float]] = {path: [] for path in ROUTES}
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(base, connector=connector) as http:
        for path in ROUTES:
            await _load(base, path, WARMUP, headers, http)
        for i in range(ROUNDS):
            order = ROUTES if i % 2 == 0 else ROUTES[::-1]
            for path in order:
                cpu0 = await _cpu_seconds(http)
                seconds, latencies = await _load(base, path, REQUESTS, headers, http)
                cpu[path].append((await _cpu_seconds(http) - cpu0) / REQUESTS)
                rates[path].append(REQUESTS / seconds)
                lat[path].extend(latencies)
    return {path: _summary(rates[path], lat[path], cpu[path]) for path in rates}


def main_sync() -> None:
    store = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] in ("session", "memory") else "session"
    pin("load")  # the load generator shares the last core with the resource server
    with resource_server() as resource:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        ctx = multiprocessing.get_context("spawn")
        server = ctx.Process(target=_serve, args=(resource, store, port), daemon=True)
        server.start()
        try:
            _wait_ready(port)
            results = asyncio.run(run(f"http://127.0.0.1:{port}"))
        finally:
            server.terminate()
            server.join(5)
    bare, by_hand, ext = results["/bare"], results["/bare-session"], results["/protected"]
    print(
        f"Quart route -> local resource; store={store}, {CONCURRENCY} in flight, "
        f"{ROUNDS} x {REQUESTS} requests per route, {os.cpu_count()} CPUs"
    )
    print(f"{'route':<30}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'app CPU us/req':>16}")
    rows = (
        ("bare aiohttp, fixed token", bare),
        ("bare aiohttp, session token", by_hand),
        ("oauth.<name> (@require)", ext),
    )
    for name, row in rows:
        print(
            f"{name:<30}{row['rps']:>10.0f}{row['p50']:>10.2f}{row['p99']:>10.2f}"
            f"{row['cpu_us']:>16.0f}"
        )
    for label, base_row in (("fixed token", bare), ("session token", by_hand)):
        slower = (1 - _paired(ext, base_row, "rounds_rps")) * 100
        extra_cpu = (_paired(ext, base_row, "rounds_cpu") - 1) * 100
        print(
            f"vs bare aiohttp ({label}), median of {ROUNDS} paired rounds: throughput "
            f"{slower:+.1f} % slower (target: at most 5 %), app-server CPU per request "
            f"{extra_cpu:+.1f} % (target: at most 5 %)"
        )


if __name__ == "__main__":
    main_sync()
