"""The Quart extension as a relying party of the peer: an app, a login, a served app."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from quart import Quart
from quart.typing import TestClientProtocol
from yarl import URL

from quart_oauthlib import QuartOAuth
from quart_oauthlib.storage.base import TokenStore
from quart_oauthlib.storage.memory import MemoryTokenStore
from tests.peer.conftest import REDIRECT_URI
from tests.peer.interaction import UserAgent

USER = "user:alice"


def peer_settings(peer_url: str, client_id: str, **extra: Any) -> dict[str, Any]:
    """A provider entry for the peer: discovered, the registered redirect URI."""
    return {
        "client_id": client_id,
        "server_metadata_url": f"{peer_url}/.well-known/openid-configuration",
        "redirect_uri": REDIRECT_URI,  # registered; the test carries the answer to our route
        "scope": "openid email",
        **extra,
    }


def make_app(
    settings: dict[str, Any], store: TokenStore | None = None, *, user: str | None = "alice"
) -> tuple[Quart, QuartOAuth]:
    """An app with the provider ``peer``; ``/me`` is its userinfo through the bound session."""
    app = Quart(__name__)
    app.secret_key = "peer-tests-secret-key-0123456789abcdef"
    app.config["OAUTH_PROVIDERS"] = {"peer": settings}
    oauth = QuartOAuth(store=store if store is not None else MemoryTokenStore())
    if user is not None:
        oauth.user_id_loader(lambda: user)
    oauth.init_app(app)

    @app.get("/me")
    @oauth.require("peer")
    async def me() -> dict[str, Any]:
        return await oauth["peer"].userinfo()

    @app.get("/claims")
    async def claims() -> dict[str, Any]:
        return {"claims": await oauth["peer"].id_token_claims()}

    return app, oauth


async def login(client: TestClientProtocol, agent: UserAgent) -> str:
    """Sign in at the peer through the extension; the authorization URL used."""
    start = await client.get("/login/peer")
    assert start.status_code == 302, await start.get_data(as_text=True)
    url = start.headers["Location"]
    callback = await agent.authorize(url, REDIRECT_URI)
    back = await client.get(f"/login/peer/authorized?{URL(callback).raw_query_string}")
    assert back.status_code == 302, await back.get_data(as_text=True)
    return url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@asynccontextmanager
async def served(app: Quart, port: int) -> AsyncIterator[str]:
    """Serve ``app`` with hypercorn on 127.0.0.1:``port`` (the peer calls it); its base URL."""
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.errorlog = None
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]
    for _ in range(200):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.025)
            continue
        writer.close()
        await writer.wait_closed()
        break
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
