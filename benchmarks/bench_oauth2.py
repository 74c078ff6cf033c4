"""OAuth2Session against bare aiohttp, side by side in one run.

1. Authorized GETs (30 rounds of 1,000 requests, 50 concurrent) to a local resource server
   in another process: client CPU time and wall time per request, for
   ``OAuth2Session`` and for a bare ``aiohttp.ClientSession`` with the Bearer
   header set by hand. Rounds alternate between the two so that noise on a
   shared machine hits both alike, and this process has a core of its own
   (see :mod:`benchmarks._cpu`); the median of the per-round ratios is the figure.
2. Refresh storm: 200 concurrent GETs on a session whose token has expired;
   counts the refresh grants that reached the server and the failed requests.

Plain http on 127.0.0.1 (OAUTHLIB_INSECURE_TRANSPORT is set for this process
only): TLS would add the same cost to both sides and hide the difference.

Run: ``python -m benchmarks.bench_oauth2``
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable

import aiohttp

from benchmarks._cpu import pin
from benchmarks._resource_server import STATIC_TOKEN, resource_server
from quart_oauthlib import OAuth2Session

REQUESTS = 1_000
CONCURRENCY = 50
#: Many short rounds: the median of the per-round ratios is what holds still on
#: a shared machine, where one round's CPU time swings by tens of percent.
ROUNDS = 30
STORM = 200


async def _drive(get: Callable[[], Awaitable[int]]) -> tuple[float, float]:
    """Run REQUESTS GETs, CONCURRENCY at a time; return (cpu s, wall s)."""
    queue = iter(range(REQUESTS))
    failures = 0

    async def worker() -> None:
        nonlocal failures
        for _ in queue:
            if await get() != 200:
                failures += 1

    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    if failures:
        raise RuntimeError(f"{failures} requests failed")
    return cpu, wall


async def authorized_gets(base: str) -> None:
    url = f"{base}/resource"
    connector_limit = CONCURRENCY
    token = {"access_token": STATIC_TOKEN, "token_type": "Bearer", "expires_in": 3600}
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connector_limit)) as bare,
        OAuth2Session(
            "bench", token=token, connector=aiohttp.TCPConnector(limit=connector_limit)
        ) as oauth,
    ):
        header = {"Authorization": f"Bearer {STATIC_TOKEN}"}

        async def bare_get() -> int:
            async with bare.get(url, headers=header) as resp:
                await resp.read()
                return resp.status

        async def oauth_get() -> int:
            async with oauth.get(url) as resp:
                await resp.read()
                return resp.status

        await _drive(bare_get)  # warm up both pools
        await _drive(oauth_get)
        results: dict[str, list[tuple[float, float]]] = {"bare aiohttp": [], "OAuth2Session": []}
        gets = {"bare aiohttp": bare_get, "OAuth2Session": oauth_get}
        for i in range(ROUNDS):
            # Which side goes first alternates: the second run of a round would
            # otherwise always meet the garbage and the cache state the first left.
            for name in gets if i % 2 == 0 else reversed(gets):
                results[name].append(await _drive(gets[name]))

    print(f"Authorized GETs: {REQUESTS} requests, {CONCURRENCY} concurrent, {ROUNDS} rounds each")
    print(f"{'client':<16}{'CPU us/req (median, best)':>28}{'wall ms (median)':>18}")
    medians = {}
    for name, runs in results.items():
        cpu = statistics.median(r[0] for r in runs) / REQUESTS * 1e6
        best = min(r[0] for r in runs) / REQUESTS * 1e6
        wall = statistics.median(r[1] for r in runs) * 1e3
        medians[name] = (cpu, wall, best)
        print(f"{name:<16}{cpu:>18.1f}{best:>10.1f}{wall:>18.1f}")
    ours, reference = medians["OAuth2Session"], medians["bare aiohttp"]
    # Per-round ratios pair each OAuth2Session round with the bare round run next to it.
    paired = statistics.median(
        o[0] / b[0] for o, b in zip(results["OAuth2Session"], results["bare aiohttp"], strict=True)
    )
    print(
        f"ratio OAuth2Session / bare: CPU {ours[0] / reference[0]:.3f}x (median), "
        f"{ours[2] / reference[2]:.3f}x (best), {paired:.3f}x (paired rounds); "
        f"wall {ours[1] / reference[1]:.3f}x. Target: CPU <= 1.05x"
    )


async def refresh_storm(base: str) -> None:
    expired = {
        "access_token": "expired",
        "token_type": "Bearer",
        "expires_at": time.time() - 60,
        "refresh_token": "rt-0",
    }
    updates: list[dict[str, object]] = []
    async with aiohttp.ClientSession() as control:
        await control.post(f"{base}/reset")
        async with OAuth2Session(
            "bench",
            token=expired,
            auto_refresh_url=f"{base}/token",
            token_updater=updates.append,
            client_secret="s",
        ) as oauth:

            async def one() -> int:
                async with oauth.get(f"{base}/resource") as resp:
                    return resp.status

            statuses = await asyncio.gather(*(one() for _ in range(STORM)), return_exceptions=True)
        async with control.get(f"{base}/stats") as resp:
            stats = await resp.json()
    failed = sum(1 for s in statuses if s != 200)
    print(
        f"Refresh storm: {STORM} concurrent GETs on an expired token -> "
        f"{stats['refresh_grants']} refresh grant(s) at the provider, {failed} failed requests, "
        f"token_updater called {len(updates)} time(s)"
    )


async def main() -> None:
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    pin("app")  # the measured client on a core of its own; the resource server on the other
    with resource_server() as base:
        await authorized_gets(base)
        await refresh_storm(base)


if __name__ == "__main__":
    asyncio.run(main())
