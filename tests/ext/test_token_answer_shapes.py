"""Whatever the token endpoint answers, the callback and the refresh end in a clear outcome.

Through the extension this time: a real Quart app and a real token endpoint on
127.0.0.1, Hypothesis varying the answer. At the callback, an unusable answer is
a 4xx/502 :class:`TokenExchangeError` with nothing stored; at a refresh, a 503
with the old token kept (or, for a provider's refusal, the sign-in again). Never
a 500.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from quart import Quart, jsonify
from yarl import URL

from quart_oauthlib import MemoryTokenStore, QuartOAuth
from tests.client.test_malformed_token_answers import VALID, Endpoint, answers
from tests.fake_provider.serving import TLS, serve

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass
class Running:
    endpoint: Endpoint
    app: Quart
    test_app: Any
    store: MemoryTokenStore


@pytest.fixture(scope="module")
def runner() -> Iterator[asyncio.Runner]:
    with asyncio.Runner() as r:
        yield r


@pytest.fixture(scope="module")
def running(runner: asyncio.Runner, tls: TLS) -> Iterator[Running]:
    endpoint = Endpoint()
    provider_app = web.Application()
    provider_app.router.add_post("/token", endpoint.handle)
    serving = serve(provider_app, tls)
    base = runner.run(serving.__aenter__())
    endpoint.url = f"{base}/token"
    store = MemoryTokenStore()
    app = Quart(__name__)
    app.config["SECRET_KEY"] = "test-secret-key"
    app.config["OAUTH_CA_BUNDLE"] = tls.ca_pem_path
    app.config["OAUTH_PROVIDERS"] = {
        "corp": {
            "client_id": "web-client",
            "client_secret": "web-secret",
            "authorize_url": "https://idp.example/authorize",
            "token_url": endpoint.url,
        }
    }
    oauth = QuartOAuth(app, store=store)

    @app.route("/api")
    @oauth.require("corp")
    async def api() -> Any:
        await oauth.corp.ensure_active_token()
        return jsonify(ok=True)

    test_app = app.test_app()
    runner.run(test_app.__aenter__())
    yield Running(endpoint, app, test_app, store)
    runner.run(test_app.__aexit__(None, None, None))
    runner.run(serving.__aexit__(None, None, None))


def answer_with(endpoint: Endpoint, body: str, content_type: str) -> None:
    endpoint.body, endpoint.content_type = body.encode("utf-8", "surrogatepass"), content_type


async def callback(running: Running) -> tuple[Any, Any]:
    """Start a login and come back with a code; return the client and the callback's answer."""
    client = running.test_app.test_client()
    start = await client.get("/login/corp")
    state = URL(start.headers["Location"]).query["state"]
    query = {"code": "a-code", "state": state}
    return client, await client.get("/login/corp/authorized", query_string=query)


@SETTINGS
@given(answer=answers)
def test_the_callback_stores_a_usable_token_or_nothing(
    runner: asyncio.Runner, running: Running, answer: tuple[str, str]
) -> None:
    running.store._tokens.clear()
    answer_with(running.endpoint, *answer)

    async def one() -> None:
        _, response = await callback(running)
        if response.status_code == 302:
            ((_, token),) = running.store._tokens.items()
            assert isinstance(token["access_token"], str) and token["access_token"]
            json.dumps(token, allow_nan=False)
        else:
            assert response.status_code in (400, 502), await response.get_data(as_text=True)
            assert len(running.store) == 0

    runner.run(one())


@SETTINGS
@given(answer=answers)
def test_a_refresh_stores_a_usable_token_or_keeps_the_old_one(
    runner: asyncio.Runner, running: Running, answer: tuple[str, str]
) -> None:
    running.store._tokens.clear()

    async def one() -> None:
        answer_with(running.endpoint, json.dumps(VALID), "application/json")
        client, response = await callback(running)
        assert response.status_code == 302
        ((key, token),) = running.store._tokens.items()
        old = {**token, "expires_at": time.time() - 10}
        running.store._tokens[key] = old
        answer_with(running.endpoint, *answer)
        response = await client.get("/api", headers={"Accept": "application/json"})
        text = await response.get_data(as_text=True)
        if response.status_code == 200:
            (new,) = running.store._tokens.values()
            assert new["access_token"] and new != old
            json.dumps(new, allow_nan=False)
        elif response.status_code == 401:  # the provider refused the refresh token
            assert (await response.get_json())["error"] == "login_required"
            assert len(running.store) == 0
        else:
            assert response.status_code == 503, text
            assert running.store._tokens == {key: old}

    runner.run(one())
