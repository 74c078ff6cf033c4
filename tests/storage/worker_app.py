"""One worker of the fleet in the multi-worker refresh test.

``python -m tests.storage.worker_app PORT`` serves, with hypercorn on
127.0.0.1:PORT, an app whose ``/profile`` is ``@oauth.require("corp")`` and
calls the provider's API with the user's token. Everything else comes from
the environment: ``WORKER_BACKEND`` and ``WORKER_STORE_URL`` (the shared
store), ``WORKER_NAMESPACE`` (its table or key prefix), ``WORKER_LEASE``
(``0`` disables the refresh lease), ``WORKER_PROVIDER`` (the provider's base
URL) and ``WORKER_CA`` (the test CA's PEM file).
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from quart import Quart, jsonify

from quart_oauthlib import QuartOAuth
from tests.storage.conftest import make_store


def create_app() -> Quart:
    env = os.environ
    lease: dict[str, Any] = {} if env.get("WORKER_LEASE", "1") == "1" else {"lease_seconds": None}
    store = make_store(
        env["WORKER_BACKEND"], env["WORKER_STORE_URL"], env["WORKER_NAMESPACE"], **lease
    )
    provider = env["WORKER_PROVIDER"]
    app = Quart(__name__)
    app.config.update(
        SECRET_KEY="worker-secret",
        OAUTH_CA_BUNDLE=env["WORKER_CA"],
        OAUTH_PROVIDERS={
            "corp": {
                "client_id": "web-client",
                "client_secret": "web-secret",
                "authorize_url": f"{provider}/authorize",
                "token_url": f"{provider}/token",
                "userinfo_url": f"{provider}/api/user",
            }
        },
    )
    oauth = QuartOAuth(app, store=store, user_id_loader=lambda: "alice")

    @app.route("/profile")
    @oauth.require("corp")
    async def profile() -> Any:
        async with oauth["corp"].get(f"{provider}/api/user") as resp:
            return jsonify(upstream=resp.status), 200 if resp.status == 200 else 502

    @app.route("/health")
    async def health() -> str:
        return "ok"

    @app.after_serving
    async def close_store() -> None:
        await store.close()

    return app


def main() -> None:
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    config = Config()
    config.bind = [f"127.0.0.1:{int(sys.argv[1])}"]
    config.accesslog = None
    config.backlog = 512
    asyncio.run(serve(create_app(), config))  # type: ignore[arg-type]  # Quart is an ASGI app


if __name__ == "__main__":
    main()
