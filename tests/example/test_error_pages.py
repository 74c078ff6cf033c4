"""The example app's friendly pages when a provider is down or refuses the token."""

from __future__ import annotations

import socket
from urllib.parse import parse_qs, urlsplit

import pytest
from quart import Quart

from example_app.app import create_app
from example_app.settings import ExampleSettings


def closed_port() -> int:
    """A port on 127.0.0.1 where, a moment later, nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(name="app")
def _app(monkeypatch: pytest.MonkeyPatch) -> Quart:
    """The example app, its dev provider configured at an address where nothing runs."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    settings = ExampleSettings.build({}, dev_provider_url=f"http://127.0.0.1:{closed_port()}")
    return create_app(settings)


async def test_provider_down_at_code_exchange(app: Quart) -> None:
    async with app.test_app() as test_app:
        client = test_app.test_client()
        start = await client.get("/login/dev")
        assert start.status_code == 302
        state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
        response = await client.get(
            "/login/dev/authorized", query_string={"code": "some-code", "state": state}
        )
        page = await response.get_data(as_text=True)
    assert response.status_code == 502
    assert "The provider could not be reached" in page
    assert "Try again with Dev Provider" in page
    assert "some-code" not in page


async def test_provider_error_answer(app: Quart) -> None:
    async with app.test_app() as test_app:
        client = test_app.test_client()
        start = await client.get("/login/dev")
        state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
        response = await client.get(
            "/login/dev/authorized",
            query_string={"error": "invalid_scope", "state": state},
        )
        page = await response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The provider refused the sign-in" in page
    assert "invalid_scope" in page


async def test_pages_need_a_sign_in_first(app: Quart) -> None:
    async with app.test_app() as test_app:
        client = test_app.test_client()
        for page in ("/dev/profile", "/dev/api", "/dev/token"):
            response = await client.get(page)
            assert response.status_code == 302
            assert response.headers["Location"].startswith("/login/dev?next=")
