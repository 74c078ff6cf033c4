from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.fake_provider.serving import TLS


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TLS:
    """One test CA for the whole run: servers on 127.0.0.1 present its certificate."""
    return TLS.create(str(tmp_path_factory.mktemp("tls")))


@pytest.fixture
async def http(tls: TLS) -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session that trusts the test CA."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tls.client_context)) as s:
        yield s


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    return tmp_path
