"""Four worker processes share one store; an expired token is refreshed once for all of them.

The provider rotates refresh tokens and revokes the whole family when an old
one is replayed (RFC 9700 §4.14.2), so a second refresh with the same refresh
token logs the user out. Each worker gets 50 concurrent protected requests on
the expired token. With the store's refresh lease, exactly one refresh grant
reaches the provider, every request succeeds and the user stays signed in.
Without it (``lease_seconds=None``) the same storm refreshes several times,
the family is revoked, and requests fail: the failure the lease prevents.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import pytest

from tests.fake_provider.oauth2 import OAuth2Provider, running_provider
from tests.fake_provider.serving import TLS
from tests.storage.conftest import backend_url, make_store

WORKERS = 4
REQUESTS_PER_WORKER = 50
START_TIMEOUT = 30.0
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def fleet(env: dict[str, str]) -> Iterator[list[str]]:
    """Start the worker processes; yield their base URLs; kill them (by PID) at the end."""
    procs: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for _ in range(WORKERS):
            port = free_port()
            procs.append(
                subprocess.Popen(  # noqa: S603 -- our own module, with this interpreter
                    [sys.executable, "-m", "tests.storage.worker_app", str(port)],
                    cwd=ROOT,
                    env={**os.environ, **env},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
            if proc.stderr is not None:
                proc.stderr.close()


async def wait_ready(http: aiohttp.ClientSession, urls: list[str]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    for url in urls:
        while True:
            try:
                async with http.get(f"{url}/health") as resp:
                    if resp.status == 200:
                        break
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"worker {url} did not start in {START_TIMEOUT}s")
            await asyncio.sleep(0.1)


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[OAuth2Provider]:
    async with running_provider(tls) as running:
        # Widen the window in which a second worker could replay the refresh token.
        running.quirks.refresh_delay_seconds = 0.3
        yield running


async def storm(http: aiohttp.ClientSession, urls: list[str]) -> Counter[int]:
    """REQUESTS_PER_WORKER concurrent GET /profile at each worker; count the statuses."""

    async def one(url: str) -> int:
        async with http.get(f"{url}/profile", allow_redirects=False) as resp:
            await resp.read()
            return resp.status

    calls = [one(url) for url in urls for _ in range(REQUESTS_PER_WORKER)]
    return Counter(await asyncio.gather(*calls))


@pytest.mark.parametrize("lease", [True, False], ids=["lease", "no-lease"])
async def test_fleet_refreshes_once(
    tls: TLS, provider: OAuth2Provider, backend: str, tmp_path: Path, lease: bool
) -> None:
    url = backend_url(backend, tmp_path)
    namespace = f"t_{secrets.token_hex(6)}"
    seed = make_store(backend, url, namespace)
    token = provider.issue_token()
    token["expires_at"] = time.time() - 5
    await seed.set("corp", "user:alice", token)
    provider.expire_all_access_tokens()
    if not lease:
        # The race must happen for this case to show anything: on a loaded machine a
        # worker may answer late, so the window is made wide enough for all of them.
        provider.quirks.refresh_delay_seconds = 1.5
    env = {
        "WORKER_BACKEND": backend,
        "WORKER_STORE_URL": url,
        "WORKER_NAMESPACE": namespace,
        "WORKER_LEASE": "1" if lease else "0",
        "WORKER_PROVIDER": str(provider.base_url),
        "WORKER_CA": tls.ca_pem_path,
    }
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=60)
    try:
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            with fleet(env) as urls:
                await wait_ready(http, urls)
                statuses = await storm(http, urls)
                after = Counter([await storm_one(http, url) for url in urls])
            stored = await seed.get("corp", "user:alice")
    finally:
        await seed.close()
    refreshes = provider.grant_counts["refresh_token"]
    print(
        f"{backend} lease={lease}: {refreshes} refresh grant(s), "
        f"statuses {dict(statuses)}, then {dict(after)}"
    )
    total = WORKERS * REQUESTS_PER_WORKER
    if lease:
        assert refreshes == 1
        assert statuses == Counter({200: total})
        assert after == Counter({200: WORKERS})  # still signed in, on every worker
        assert stored is not None and stored["access_token"] != token["access_token"]
        assert provider.is_active(stored["refresh_token"])
    else:
        # Without the lease the workers race: refresh tokens are replayed, the
        # provider revokes the family, requests fail and the user is signed out.
        assert refreshes > 1
        assert statuses[200] < total
        assert after[200] < WORKERS
        assert stored is None or not provider.is_active(stored.get("refresh_token", ""))


async def storm_one(http: aiohttp.ClientSession, url: str) -> int:
    async with http.get(f"{url}/profile", allow_redirects=False) as resp:
        await resp.read()
        return resp.status
