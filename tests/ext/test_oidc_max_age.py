"""Per-login authorization parameters (prompt, max_age...) and OIDC Core's auth_time check."""

from __future__ import annotations

import html
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from quart.testing import QuartClient
from yarl import URL

from quart_oauthlib import MemoryTokenStore
from tests.ext.oidc_support import TamperingProvider, authorize, make_app, running
from tests.fake_provider.serving import TLS


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[TamperingProvider]:
    async with running(tls) as p:
        yield p


async def start_with(client: QuartClient, query: dict[str, str]) -> URL:
    response = await client.get("/login/corp", query_string=query)
    assert response.status_code == 302, await response.get_data(as_text=True)
    return URL(response.headers["Location"])


async def test_a_login_link_passes_on_prompt_and_hints_but_not_scope(
    tls: TLS, provider: TamperingProvider
) -> None:
    app, _ = make_app(tls, provider)
    asked = {
        "prompt": "login",
        "login_hint": "ada@example.com",
        "ui_locales": "fr",
        "acr_values": "urn:mace:incommon:iap:silver",
        "scope": "openid admin",
        "redirect_uri": "https://evil.example/",
        "response_type": "token",
    }
    async with app.test_app() as test_app:
        location = await start_with(test_app.test_client(), asked)
    query = location.query
    for name in ("prompt", "login_hint", "ui_locales", "acr_values"):
        assert query[name] == asked[name]
    assert query["scope"] == "openid"  # the app's, not the link's
    assert query["response_type"] == "code"
    assert query["redirect_uri"] != asked["redirect_uri"]


@pytest.mark.parametrize(
    ("age", "accepted"),
    [(10, True), (3600, False), (None, False)],  # None: no auth_time claim at all
)
async def test_max_age_of_a_login_link_is_checked_against_auth_time(
    tls: TLS, provider: TamperingProvider, age: int | None, accepted: bool
) -> None:
    store = MemoryTokenStore()
    app, _ = make_app(tls, provider, store)
    provider.claim_changes["auth_time"] = None if age is None else int(time.time()) - age
    async with app.test_app() as test_app:
        client = test_app.test_client()
        location = await start_with(client, {"max_age": "300"})
        assert location.query["max_age"] == "300"
        response = await client.get(
            "/login/corp/authorized", query_string=authorize(provider, location)
        )
    if accepted:
        assert response.status_code == 302
        assert len(store) == 1
    else:
        assert response.status_code == 400
        page = html.unescape(await response.get_data(as_text=True))
        assert "ID token from 'corp' was refused" in page
        assert "auth_time is missing" in page if age is None else "max_age of 300" in page
        assert len(store) == 0


async def test_max_age_from_the_provider_settings_is_checked(
    tls: TLS, provider: TamperingProvider
) -> None:
    store = MemoryTokenStore()
    app, _ = make_app(tls, provider, store, authorize_params={"max_age": "60"})
    provider.claim_changes["auth_time"] = int(time.time()) - 600
    async with app.test_app() as test_app:
        client = test_app.test_client()
        location = await start_with(client, {})
        assert location.query["max_age"] == "60"
        json_answer = await client.get(
            "/login/corp/authorized",
            query_string=authorize(provider, location),
            headers={"Accept": "application/json"},
        )
    assert json_answer.status_code == 400
    assert (await json_answer.get_json())["error"] == "id_token_auth_time"
    assert len(store) == 0


@pytest.mark.parametrize("bad", ["-1", "5m", "1e3"])
async def test_a_malformed_max_age_is_a_clear_400(
    tls: TLS, provider: TamperingProvider, bad: str
) -> None:
    app, _ = make_app(tls, provider)
    async with app.test_app() as test_app:
        response = await test_app.test_client().get("/login/corp", query_string={"max_age": bad})
    assert response.status_code == 400
    page: Any = html.unescape(await response.get_data(as_text=True))
    assert "'max_age' for 'corp' must be a whole number of seconds" in page
    assert provider.calls["token"] == 0
