"""Back-channel logout through the extension: the peer calls our route, the tokens go."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from yarl import URL

from quart_oauthlib.storage.base import TokenStore
from quart_oauthlib.storage.redis import RedisTokenStore
from quart_oauthlib.storage.sqla import SQLTokenStore
from tests.peer.conftest import REDIRECT_URI, register_client
from tests.peer.ext_support import free_port, make_app, peer_settings, served
from tests.peer.interaction import UserAgent


@pytest.fixture(params=["sqlite", "postgres", "redis"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[TokenStore]:
    backend = str(request.param)
    namespace = f"bcl_{os.getpid()}_{id(tmp_path) % 100000}"
    made: SQLTokenStore | RedisTokenStore
    if backend == "sqlite":
        made = SQLTokenStore(f"sqlite+aiosqlite:///{tmp_path}/tokens.sqlite3")
    else:
        env = (
            "QUART_OAUTHLIB_TEST_REDIS_URL"
            if backend == "redis"
            else ("QUART_OAUTHLIB_TEST_POSTGRES_URL")
        )
        url = os.environ.get(env)
        if not url:
            pytest.skip(f"{env} is unset (.ci/services.sh starts the server)")
        made = (
            RedisTokenStore(url, prefix=namespace)
            if backend == "redis"
            else SQLTokenStore(url, table_name=namespace)
        )
    yield made
    await made.close()


async def test_a_logout_at_the_peer_deletes_the_users_tokens(
    peer_url: str, metadata: dict[str, Any], store: TokenStore, user_agent: UserAgent
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    client = await register_client(
        metadata,
        redirect_uris=[REDIRECT_URI],
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="client_secret_basic",
        backchannel_logout_uri=f"{base}/logout/peer/backchannel",
        backchannel_logout_session_required=True,
    )
    settings = peer_settings(peer_url, client["client_id"], client_secret=client["client_secret"])
    # Browser-session users (no user loader): the store finds them by their account.
    app, _ = make_app(settings, store, user=None)
    async with served(app, port):
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as browser:
            async with browser.get(f"{base}/login/peer", allow_redirects=False) as resp:
                assert resp.status == 302, await resp.text()
                location = resp.headers["Location"]
            callback = await user_agent.authorize(location, REDIRECT_URI)
            query = URL(callback).raw_query_string
            async with browser.get(
                f"{base}/login/peer/authorized?{query}", allow_redirects=False
            ) as resp:
                assert resp.status == 302, await resp.text()
        user = await store.find_user("peer", "alice")  # type: ignore[attr-defined]
        assert user is not None and user.startswith("browser:")
        assert await store.get("peer", user) is not None

        end = metadata["end_session_endpoint"] + "?" + urlencode({"client_id": client["client_id"]})
        await user_agent.logout(end)  # the peer POSTs a logout token to our route
        for _ in range(100):
            if await store.get("peer", user) is None:
                break
            await asyncio.sleep(0.1)
        assert await store.get("peer", user) is None
        assert await store.find_user("peer", "alice") is None  # type: ignore[attr-defined]
