"""Fixtures for running the docs' examples (``docs/examples/*.py``) against the local providers."""

from __future__ import annotations

import importlib.util
import ssl
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from types import ModuleType

import aiohttp
import aiohttp.connector
import pytest

from tests.fake_provider.serving import TLS

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"

Authorize = Callable[[str], Awaitable[str]]


def load_example(relative: str) -> ModuleType:
    """Import ``docs/examples/<relative>`` afresh, as its own module."""
    path = EXAMPLES / relative
    name = "docs_example_" + relative.removesuffix(".py").replace("/", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look modules up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def trust_test_ca(tls: TLS, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The examples use aiohttp's default TLS settings, as readers' code would.

    aiohttp verifies with one module-level context built at import time; point it at a
    context that trusts the test CA for this test. ``SSL_CERT_FILE`` covers contexts built
    with ``ssl.create_default_context()`` later (client certificates).
    """
    assert isinstance(aiohttp.connector._SSL_CONTEXT_VERIFIED, ssl.SSLContext)
    monkeypatch.setattr(aiohttp.connector, "_SSL_CONTEXT_VERIFIED", tls.client_context)
    monkeypatch.setenv("SSL_CERT_FILE", tls.ca_pem_path)
    yield


@pytest.fixture
async def browser(tls: TLS) -> AsyncIterator[Authorize]:
    """Play the user: open the authorization URL, approve, return where it redirects."""
    connector = aiohttp.TCPConnector(ssl=tls.client_context)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def authorize(authorization_url: str) -> str:
            async with http.get(authorization_url, allow_redirects=False) as resp:
                assert resp.status in (302, 303), await resp.text()
                return resp.headers["Location"]

        yield authorize
