"""Python bytecode instructions per request, counted: a measure that does not drift.

CPU time on a shared machine swings by several percent from one second to the next;
the number of bytecode instructions a request executes does not. This runs the
extension benchmark's app in this process (``app.test_client()``, the resource
server in another process), counts the instructions of each route's requests with
``sys.settrace`` (opcode events), and prints the protected route against the
hand-written one, with the functions that make the difference. A change to the hot
path shows here to the instruction; whether it shows in CPU time is for
:mod:`benchmarks.bench_extension` and :mod:`benchmarks.bench_oauth2` to say.

Instructions are not all equal (a dict copy is one, a bytecode branch is one), so
the ratio is a guide, not the target.

Run: ``python -m benchmarks.bench_opcodes [session|memory]``
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from types import FrameType
from typing import Any

import aiohttp

from benchmarks._resource_server import STATIC_TOKEN, resource_server
from benchmarks.bench_extension import create_app, session_cookie
from quart_oauthlib import OAuth2Session

COUNTED = 20
WARMUP = 20
#: The hand-written route first: the difference is the second one's cost.
ROUTES = ("/bare-session", "/protected")

_counts: Counter[tuple[str, str]] = Counter()


def _trace(frame: FrameType, event: str, arg: Any) -> Any:
    frame.f_trace_opcodes = True
    if event == "opcode":
        code = frame.f_code
        _counts[(_short(code.co_filename), code.co_name)] += 1
    return _trace


def _short(path: str) -> str:
    for marker in ("site-packages/", "quart_oauthlib/", "benchmarks/"):
        if marker in path:
            return path[path.index(marker) :]
    return os.path.basename(path)


async def _count(run: Any) -> dict[tuple[str, str], float]:
    """Instructions per call of ``run`` (a coroutine function), by function."""
    for _ in range(WARMUP):
        await run()
    _counts.clear()
    sys.settrace(_trace)
    try:
        for _ in range(COUNTED):
            await run()
    finally:
        sys.settrace(None)
    return {key: count / COUNTED for key, count in _counts.items()}


def _report(title: str, reference: str, ours: str, counts: dict[str, dict[Any, float]]) -> None:
    base, mine = counts[reference], counts[ours]
    total_base, total_mine = sum(base.values()), sum(mine.values())
    print(
        f"{title}: {reference} {total_base:,.0f}, {ours} {total_mine:,.0f} instructions "
        f"per request: {total_mine - total_base:+,.0f} ({total_mine / total_base:.3f}x)"
    )
    difference = {key: mine.get(key, 0) - base.get(key, 0) for key in base.keys() | mine}
    top = sorted(difference.items(), key=lambda item: -abs(item[1]))[:12]
    for (path, name), delta in top:
        if abs(delta) >= 1:
            print(f"  {delta:+7.0f}  {path}:{name}")


async def _extension(resource: str, store: str) -> None:
    app = create_app(resource, store)
    await app.startup()
    try:
        client = app.test_client()
        headers = {"Cookie": f"session={session_cookie()}", "X-User": "alice"}
        counts = {}
        for path in ROUTES:

            async def get(path: str = path) -> None:
                response = await client.get(path, headers=headers)
                if response.status_code != 200:
                    raise RuntimeError(f"{path} answered {response.status_code}")

            counts[path] = await _count(get)
    finally:
        await app.shutdown()
    _report(f"Quart route, store={store}", *ROUTES, counts)


async def _client(resource: str) -> None:
    url = f"{resource}/resource"
    token = {"access_token": STATIC_TOKEN, "token_type": "Bearer", "expires_in": 3600}
    header = {"Authorization": f"Bearer {STATIC_TOKEN}"}
    async with aiohttp.ClientSession() as bare, OAuth2Session("bench", token=token) as oauth:

        async def bare_get() -> None:
            async with bare.get(url, headers=header) as resp:
                await resp.read()

        async def oauth_get() -> None:
            async with oauth.get(url) as resp:
                await resp.read()

        counts = {"bare aiohttp": await _count(bare_get), "OAuth2Session": await _count(oauth_get)}
    _report("Authorized GET", "bare aiohttp", "OAuth2Session", counts)


async def main(store: str = "session") -> None:
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    with resource_server() as resource:
        await _client(resource)
        await _extension(resource, store)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "session"))
