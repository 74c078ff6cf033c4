"""Per-login parameters: checked for type and length, and only ever tightening the app's."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from typing import Any

import pytest
from quart.testing import QuartClient
from yarl import URL

from quart_oauthlib import MemoryTokenStore
from quart_oauthlib.signals import oauth_error
from tests.ext.oidc_support import TamperingProvider, authorize, make_app, running
from tests.fake_provider.serving import TLS


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[TamperingProvider]:
    async with running(tls) as p:
        yield p


async def page(response: Any) -> str:
    return html.unescape(await response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("max_age", "²"),
        ("max_age", "9" * 5000),
        ("max_age", "٣"),  # an Arabic-Indic digit: isdigit(), but not ASCII
        ("login_hint", "a" * 5000),
        ("prompt", "login\x00"),
        ("ui_locales", "fr" * 200),
        ("acr_values", "x" * 300),
    ],
    ids=[
        "superscript",
        "5000-digits",
        "arabic-digit",
        "huge-hint",
        "nul",
        "long-locales",
        "long-acr",
    ],
)
async def test_bad_per_login_values_are_a_400_naming_the_parameter(
    tls: TLS, provider: TamperingProvider, name: str, value: str
) -> None:
    app, _ = make_app(tls, provider)
    async with app.test_app() as test_app:
        response = await test_app.test_client().get("/login/corp", query_string={name: value})
    assert response.status_code == 400
    text = await page(response)
    assert f"'{name}'" in text
    assert len(text) < 1000  # a long value is not echoed back


async def start_with(client: QuartClient, query: dict[str, str]) -> Any:
    return await client.get("/login/corp", query_string=query)


@pytest.mark.parametrize(
    ("query", "refused"),
    [
        ({"max_age": "31536000"}, "max_age"),
        ({"max_age": ""}, "max_age"),
        ({"acr_values": "urn:password"}, "acr_values"),
        ({"acr_values": "urn:mfa urn:password"}, "acr_values"),
        ({"acr_values": "urn:password", "max_age": "31536000"}, "acr_values"),
    ],
)
async def test_a_login_link_cannot_loosen_the_apps_step_up(
    tls: TLS, provider: TamperingProvider, query: dict[str, str], refused: str
) -> None:
    app, _ = make_app(
        tls, provider, authorize_params={"acr_values": "urn:mfa urn:hwk", "max_age": "300"}
    )
    async with app.test_app() as test_app:
        response = await start_with(test_app.test_client(), query)
    assert response.status_code == 400
    assert f"'{refused}'" in await page(response)


async def test_a_login_link_may_tighten_the_apps_step_up(
    tls: TLS, provider: TamperingProvider
) -> None:
    app, _ = make_app(
        tls, provider, authorize_params={"acr_values": "urn:mfa urn:hwk", "max_age": "300"}
    )
    async with app.test_app() as test_app:
        response = await start_with(
            test_app.test_client(), {"acr_values": "urn:hwk", "max_age": "60"}
        )
    assert response.status_code == 302
    query = URL(response.headers["Location"]).query
    assert (query["acr_values"], query["max_age"]) == ("urn:hwk", "60")


@pytest.mark.parametrize(
    ("acr", "accepted"),
    [("urn:mfa", True), ("urn:hwk", True), ("urn:password", False), (None, False)],
)
async def test_the_id_tokens_acr_must_be_one_asked_for(
    tls: TLS, provider: TamperingProvider, acr: str | None, accepted: bool
) -> None:
    store = MemoryTokenStore()
    app, _ = make_app(tls, provider, store, authorize_params={"acr_values": "urn:mfa urn:hwk"})
    if acr is not None:
        provider.claim_changes["acr"] = acr
    async with app.test_app() as test_app:
        client = test_app.test_client()
        location = URL((await client.get("/login/corp")).headers["Location"])
        answer = await client.get(
            "/login/corp/authorized", query_string=authorize(provider, location)
        )
    if accepted:
        assert answer.status_code == 302
        assert len(store) == 1
    else:
        assert answer.status_code == 400
        assert "acr_values urn:mfa urn:hwk" in await page(answer)
        assert len(store) == 0


async def test_acr_asked_by_a_link_alone_is_checked_too(
    tls: TLS, provider: TamperingProvider
) -> None:
    store = MemoryTokenStore()
    app, _ = make_app(tls, provider, store)
    provider.claim_changes["acr"] = "urn:password"
    async with app.test_app() as test_app:
        client = test_app.test_client()
        response = await start_with(client, {"acr_values": "urn:mfa"})
        location = URL(response.headers["Location"])
        answer = await client.get(
            "/login/corp/authorized", query_string=authorize(provider, location)
        )
    assert answer.status_code == 400
    assert len(store) == 0


async def test_an_error_callback_without_a_login_shows_no_provider_text(
    tls: TLS, provider: TamperingProvider
) -> None:
    app, _ = make_app(tls, provider)
    seen: list[dict[str, Any]] = []

    async def receiver(sender: Any, **extra: Any) -> None:
        seen.append(extra)

    spoof = "Your account is locked: call +1 555 0100 now"
    with oauth_error.connected_to(receiver):
        async with app.test_app() as test_app:
            client = test_app.test_client()
            await client.get("/login/corp")  # a login in progress, but not this state
            query = {"error": "server_error", "error_description": spoof, "state": "forged"}
            response = await client.get("/login/corp/authorized", query_string=query)
            stray = await client.get("/login/corp/authorized", query_string={"state": "forged"})
    assert response.status_code == 400
    text = await page(response)
    assert "555" not in text
    assert "No login with this state is pending" in text
    assert text == await page(stray)
    assert [e["error"] for e in seen] == ["state_mismatch", "state_mismatch"]
    assert all("555" not in str(e) for e in seen)
