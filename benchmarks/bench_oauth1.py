"""OAuth 1 signed GETs: OAuth1Session, bare aiohttp and requests-oauthlib, in one run.

5,000 GETs per round, 50 at a time, to an OAuth 1 protected resource in
another process (which verifies a sample of signatures in full), signed with
HMAC-SHA1 in the Authorization header:

* ``OAuth1Session``: a fresh signature (nonce, timestamp, HMAC) per request.
* bare aiohttp: one Authorization header signed once and sent every time
  (no signing cost at all: the floor).
* requests-oauthlib: ``requests`` with ``auth=OAuth1(...)`` in a
  ``ThreadPoolExecutor(50)``, a fresh signature per request.

CPU is ``time.process_time()`` of this process (all its threads), per
request. Rounds alternate between the clients so that noise on a shared
machine hits all alike; medians are reported. Plain http on 127.0.0.1: TLS
would add the same cost to every client and hide the difference.

Run: ``python -m benchmarks.bench_oauth1`` or ``python benchmarks/bench_oauth1.py``
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncio  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from collections.abc import Awaitable, Callable  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402

import aiohttp  # noqa: E402
import requests  # noqa: E402
from oauthlib.oauth1 import Client  # noqa: E402
from requests.adapters import HTTPAdapter  # noqa: E402
from requests_oauthlib import OAuth1 as RequestsOAuth1  # type: ignore[import-untyped]  # noqa: E402

from benchmarks._oauth1_server import (  # noqa: E402
    CLIENT_KEY,
    CLIENT_SECRET,
    TOKEN,
    TOKEN_SECRET,
    oauth1_server,
)
from quart_oauthlib import OAuth1Session  # noqa: E402

REQUESTS = 5_000
CONCURRENCY = 50
ROUNDS = 3
WARMUP = 500
ROUND_TIMEOUT = 120.0  # seconds; a round that takes longer is a failure, not a result
CREDENTIALS = (CLIENT_KEY, CLIENT_SECRET, TOKEN, TOKEN_SECRET)
OURS, BARE, THEIRS = "OAuth1Session", "bare aiohttp", "requests-oauthlib"

Result = tuple[float, float]  # (CPU seconds, wall seconds) for one round


async def _drive(get: Callable[[], Awaitable[int]], count: int) -> Result:
    """Run ``count`` GETs, CONCURRENCY at a time, within ROUND_TIMEOUT."""
    queue = iter(range(count))
    failures = 0

    async def worker() -> None:
        nonlocal failures
        for _ in queue:
            if await get() != 200:
                failures += 1

    cpu0, wall0 = time.process_time(), time.perf_counter()
    async with asyncio.timeout(ROUND_TIMEOUT):
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    if failures:
        raise RuntimeError(f"{failures} requests failed")
    return cpu, wall


async def _aiohttp_round(url: str, count: int) -> tuple[Result, Result]:
    """One round of the bare client, then one of OAuth1Session: (ours, bare)."""
    header = {"Authorization": _signed_header(url)}
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY)) as plain,
        OAuth1Session(*CREDENTIALS, connector=aiohttp.TCPConnector(limit=CONCURRENCY)) as oauth,
    ):

        async def bare_get() -> int:
            async with plain.get(url, headers=header) as resp:
                await resp.read()
                return resp.status

        async def oauth_get() -> int:
            async with oauth.get(url) as resp:
                await resp.read()
                return resp.status

        bare = await _drive(bare_get, count)
        ours = await _drive(oauth_get, count)
    return ours, bare


def _signed_header(url: str) -> str:
    _, headers, _ = Client(*CREDENTIALS).sign(url)
    value: str = headers["Authorization"]
    return value


def _requests_round(url: str, count: int) -> Result:
    auth = RequestsOAuth1(*CREDENTIALS)
    with requests.Session() as http:
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=CONCURRENCY)
        http.mount("http://", adapter)

        def get(_: int) -> int:
            return http.get(url, auth=auth, timeout=30).status_code

        cpu0, wall0 = time.process_time(), time.perf_counter()
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            statuses = list(pool.map(get, range(count), timeout=ROUND_TIMEOUT))
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    failures = sum(status != 200 for status in statuses)
    if failures:
        raise RuntimeError(f"{failures} requests failed")
    return cpu, wall


def _report(results: dict[str, list[Result]], stats: dict[str, int]) -> None:
    print(
        f"Signed GETs (HMAC-SHA1, header): {REQUESTS} requests, {CONCURRENCY} concurrent, "
        f"{ROUNDS} rounds each (medians); the server verified {stats['verified']} signatures "
        f"in full and rejected {stats['rejected']} requests."
    )
    cpu, wall = {}, {}
    for name, runs in results.items():
        cpu[name] = statistics.median(run[0] for run in runs) / REQUESTS * 1e6
        wall[name] = statistics.median(run[1] for run in runs)
    header = f"{'client':<20}{'CPU us/req':>12}{'req/s':>10}{'CPU vs ours':>13}{'CPU vs bare':>13}"
    print(header)
    print("-" * len(header))
    for name in (BARE, OURS, THEIRS):
        print(
            f"{name:<20}{cpu[name]:>12.1f}{REQUESTS / wall[name]:>10.0f}"
            f"{cpu[name] / cpu[OURS]:>12.2f}x{cpu[name] / cpu[BARE]:>12.2f}x"
        )
    verdict = "met" if cpu[OURS] < cpu[THEIRS] else "NOT met"
    print(
        f"Target (less CPU per signed request than requests-oauthlib): {verdict}; "
        f"requests-oauthlib uses {cpu[THEIRS] / cpu[OURS]:.2f}x the CPU of OAuth1Session."
    )


def main() -> None:
    with oauth1_server() as base:
        url = f"{base}/1.1/account/settings.json"
        results: dict[str, list[Result]] = {OURS: [], BARE: [], THEIRS: []}
        _requests_round(url, WARMUP)  # warm up: imports, pools, caches
        asyncio.run(_aiohttp_round(url, WARMUP))
        for _ in range(ROUNDS):
            results[THEIRS].append(_requests_round(url, REQUESTS))
            ours, bare = asyncio.run(_aiohttp_round(url, REQUESTS))
            results[OURS].append(ours)
            results[BARE].append(bare)
        with urllib.request.urlopen(f"{base}/stats", timeout=10) as answer:  # noqa: S310 -- our own server
            stats = json.load(answer)
    if stats["rejected"]:
        raise RuntimeError(f"the server rejected {stats['rejected']} requests")
    _report(results, stats)


if __name__ == "__main__":
    main()
