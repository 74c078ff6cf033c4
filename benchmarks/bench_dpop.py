"""DPoP-bound requests against Bearer requests, side by side in one run.

1. The absolute cost of one DPoP proof (a fresh JWT signed by joserfc) for
   ES256, EdDSA and PS256 keys: CPU microseconds per proof.
2. Authorized GETs (1,000 requests, 50 concurrent) to a local resource server
   in another process, through ``OAuth2Session`` with a Bearer token and with a
   DPoP-bound token (``Authorization: DPoP`` plus a proof with ``ath`` on every
   request). Rounds alternate so that noise hits both alike; the ratio of
   median client CPU per request is reported. A third client sends the Bearer
   token through the session's general path (a no-op ``protected_request``
   hook), to tell the proof's cost from the general path's.

Run: ``python -m benchmarks.bench_dpop``
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable

import aiohttp
from joserfc.jwk import OKPKey, RSAKey

from benchmarks._resource_server import STATIC_TOKEN, resource_server
from quart_oauthlib import OAuth2Session
from quart_oauthlib.client.dpop import DPoPKey

PROOFS = 2_000
REQUESTS = 1_000
CONCURRENCY = 50
ROUNDS = 6


def proof_costs() -> None:
    keys = {
        "ES256": DPoPKey(),
        "EdDSA": DPoPKey(OKPKey.generate_key("Ed25519", private=True)),
        "PS256": DPoPKey(RSAKey.generate_key(2048, private=True)),
    }
    print(f"One DPoP proof (jti, htm, htu, iat, ath), {PROOFS} proofs each:")
    for name, key in keys.items():
        key.proof("GET", "http://127.0.0.1/warm", access_token=STATIC_TOKEN)
        cpu0 = time.process_time()
        for _ in range(PROOFS):
            key.proof("GET", "http://127.0.0.1/resource?q=1", access_token=STATIC_TOKEN)
        cost = (time.process_time() - cpu0) / PROOFS * 1e6
        print(f"  {name:<6}{cost:>9.1f} us CPU per proof")


async def _drive(get: Callable[[], Awaitable[int]]) -> float:
    """Run REQUESTS GETs, CONCURRENCY at a time; return the CPU seconds spent."""
    queue = iter(range(REQUESTS))
    failures = 0

    async def worker() -> None:
        nonlocal failures
        for _ in queue:
            if await get() != 200:
                failures += 1

    cpu0 = time.process_time()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    if failures:
        raise RuntimeError(f"{failures} requests failed")
    return time.process_time() - cpu0


async def bound_vs_bearer(base: str) -> None:
    bearer_token = {"access_token": STATIC_TOKEN, "token_type": "Bearer", "expires_in": 3600}
    dpop_token = {**bearer_token, "token_type": "DPoP"}
    async with (
        OAuth2Session(
            "bench", token=bearer_token, connector=aiohttp.TCPConnector(limit=CONCURRENCY)
        ) as bearer,
        OAuth2Session(
            "bench", token=bearer_token, connector=aiohttp.TCPConnector(limit=CONCURRENCY)
        ) as general,
        OAuth2Session(
            "bench",
            token=dpop_token,
            dpop=True,
            connector=aiohttp.TCPConnector(limit=CONCURRENCY),
        ) as bound,
    ):

        async def bearer_get() -> int:
            async with bearer.get(f"{base}/resource") as resp:
                await resp.read()
                return resp.status

        general.register_compliance_hook("protected_request", lambda u, h, d: (u, h, d))

        async def general_get() -> int:
            async with general.get(f"{base}/resource") as resp:
                await resp.read()
                return resp.status

        async def dpop_get() -> int:
            async with bound.get(f"{base}/dpop-resource") as resp:
                await resp.read()
                return resp.status

        await _drive(bearer_get)  # warm up both pools
        await _drive(dpop_get)
        await _drive(general_get)
        runs: dict[str, list[float]] = {"Bearer": [], "Bearer, general path": [], "DPoP": []}
        for _ in range(ROUNDS):
            runs["Bearer"].append(await _drive(bearer_get))
            runs["Bearer, general path"].append(await _drive(general_get))
            runs["DPoP"].append(await _drive(dpop_get))

    print(f"Authorized GETs: {REQUESTS} requests, {CONCURRENCY} concurrent, {ROUNDS} rounds each")
    medians = {name: statistics.median(r) / REQUESTS * 1e6 for name, r in runs.items()}
    for name, cpu in medians.items():
        print(f"  {name:<22}{cpu:>9.1f} us CPU per request (median)")
    paired = statistics.median(d / b for d, b in zip(runs["DPoP"], runs["Bearer"], strict=True))
    print(
        f"ratio DPoP / Bearer: CPU {medians['DPoP'] / medians['Bearer']:.2f}x (medians), "
        f"{paired:.2f}x (paired rounds); "
        f"extra {medians['DPoP'] - medians['Bearer']:.1f} us per request"
    )


async def main() -> None:
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    proof_costs()
    with resource_server() as base:
        await bound_vs_bearer(base)


if __name__ == "__main__":
    asyncio.run(main())
