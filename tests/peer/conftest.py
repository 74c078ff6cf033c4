"""The peer tests' fixtures: oidc-provider's URL, its metadata, the test clients' keys.

The tests skip when ``QUART_OAUTHLIB_TEST_PEER_URL`` is unset (no Node here),
and fail when it is set but the provider does not answer: CI started it, so a
silent skip would hide a broken setup.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.peer.interaction import UserAgent

PEER_DIR = Path(__file__).parent
REDIRECT_URI = "http://127.0.0.1/cb"
#: The secret of the peer's client_secret_* clients (server.mjs).
SECRET = "peer-secret-that-is-long-enough-for-hs256-0123456789"


@pytest.fixture(scope="session")
def peer_url() -> str:
    url = os.environ.get("QUART_OAUTHLIB_TEST_PEER_URL")
    if not url:
        pytest.skip("QUART_OAUTHLIB_TEST_PEER_URL is unset: no oidc-provider to test against.")
    return url.rstrip("/")


@pytest.fixture(autouse=True)
def _plain_http_to_the_peer(monkeypatch: pytest.MonkeyPatch) -> None:
    # The peer listens on http://127.0.0.1 (oidc-provider's development mode).
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


async def peer_metadata(peer_url: str) -> dict[str, Any]:
    """The peer's discovery document; a test failure (not a skip) when it does not answer."""
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
            async with http.get(f"{peer_url}/.well-known/openid-configuration") as resp:
                resp.raise_for_status()
                document: dict[str, Any] = await resp.json()
    except (aiohttp.ClientError, TimeoutError) as exc:
        pytest.fail(f"QUART_OAUTHLIB_TEST_PEER_URL is set but {peer_url} is unreachable: {exc!r}")
    return document


@pytest.fixture
async def metadata(peer_url: str) -> dict[str, Any]:
    return await peer_metadata(peer_url)


@pytest.fixture(scope="session")
def client_keys() -> dict[str, dict[str, Any]]:
    keys: dict[str, dict[str, Any]] = json.loads((PEER_DIR / "client_keys.json").read_text())
    return keys


@pytest.fixture
async def user_agent() -> AsyncIterator[UserAgent]:
    agent = UserAgent()
    yield agent
    await agent.close()
