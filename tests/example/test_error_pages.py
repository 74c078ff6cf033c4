"""The example app's friendly pages: a provider down or refusing, 404, 405, its icon."""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET
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
    """The example app, its dev provider configured at an address where nothing runs.

    The classic dev login (``EXAMPLE_DEV_MODERN=0``): its sign-in starts without
    calling the provider, so the callback's own errors can be reached.
    """
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    env = {"EXAMPLE_DEV_MODERN": "0"}
    settings = ExampleSettings.build(env, dev_provider_url=f"http://127.0.0.1:{closed_port()}")
    return create_app(settings)


async def test_provider_down_at_pushed_login_start(monkeypatch: pytest.MonkeyPatch) -> None:
    # The modern dev login discovers the PAR endpoint and pushes the request before
    # sending the browser anywhere: a provider that is down shows at once, kindly.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    settings = ExampleSettings.build({}, dev_provider_url=f"http://127.0.0.1:{closed_port()}")
    async with create_app(settings).test_app() as test_app:
        response = await test_app.test_client().get("/login/dev")
        page = await response.get_data(as_text=True)
    assert response.status_code == 502
    assert "The provider could not be reached" in page
    assert "Try again with Dev Provider" in page


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


#: Text only Werkzeug's bare error pages have.
WERKZEUG_404 = "The requested URL was not found on the server"
WERKZEUG_405 = "The method is not allowed for the requested URL"
#: The app's header: the page is in the app's look.
SITE_HEADER = "quart-oauthlib <span>example</span>"


async def test_unknown_page_is_the_apps_own_404(app: Quart) -> None:
    async with app.test_app() as test_app:
        response = await test_app.test_client().get("/nope")
        page = await response.get_data(as_text=True)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert SITE_HEADER in page
    assert "<h1>Page not found</h1>" in page
    assert "There is no page at <code>/nope</code>" in page
    assert WERKZEUG_404 not in page


async def test_unknown_provider_login_names_the_configured_ones(app: Quart) -> None:
    async with app.test_app() as test_app:
        response = await test_app.test_client().get("/login/nope")
        page = await response.get_data(as_text=True)
    assert response.status_code == 404
    assert SITE_HEADER in page
    assert "No provider called “nope” here" in page
    assert '<a href="/login/dev">Sign in with Dev Provider</a>' in page
    assert WERKZEUG_404 not in page


async def test_missing_page_of_a_provider_is_the_apps_own_404(app: Quart) -> None:
    """``abort(404)`` in a view (a provider without an API demo) gets the page too."""
    async with app.test_app() as test_app:
        response = await test_app.test_client().get("/dev/nope")
        page = await response.get_data(as_text=True)
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in page


async def test_get_of_sign_out_offers_the_sign_out_button(app: Quart) -> None:
    async with app.test_app() as test_app:
        response = await test_app.test_client().get("/logout/dev")
        page = await response.get_data(as_text=True)
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert "GET" not in response.headers["Allow"]
    assert SITE_HEADER in page
    assert "<h1>Sign out with the button</h1>" in page
    assert '<form method="post" action="/logout/dev">' in page
    assert "Sign out of Dev Provider</button>" in page
    assert WERKZEUG_405 not in page


async def test_other_wrong_methods_get_the_apps_own_405(app: Quart) -> None:
    async with app.test_app() as test_app:
        response = await test_app.test_client().post("/dev/profile")
        page = await response.get_data(as_text=True)
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert "<h1>Not available this way</h1>" in page
    assert "<code>/dev/profile</code> does not answer a <code>POST</code> request." in page
    assert WERKZEUG_405 not in page


async def test_an_answer_after_a_refusal_says_the_sign_in_was_declined(app: Quart) -> None:
    """Deny, Back, Allow at a provider that then issues a code for the closed login."""
    async with app.test_app() as test_app:
        client = test_app.test_client()
        start = await client.get("/login/dev")
        state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
        denied = await client.get(
            "/login/dev/authorized", query_string={"error": "access_denied", "state": state}
        )
        assert denied.status_code == 403
        assert "You chose not to sign in" in await denied.get_data(as_text=True)

        response = await client.get(
            "/login/dev/authorized", query_string={"code": "late-code", "state": state}
        )
        page = await response.get_data(as_text=True)
    assert response.status_code == 400
    assert "You already declined this sign-in" in page
    assert "Dev Provider first answered this sign-in with &#39;access_denied&#39;." in page
    assert "already answered" not in page
    assert "late-code" not in page
    assert state not in page


async def test_a_replayed_successful_state_is_not_called_declined(app: Quart) -> None:
    """Only refusals are remembered: another state mismatch keeps its own advice."""
    async with app.test_app() as test_app:
        client = test_app.test_client()
        first = await client.get("/login/dev")
        refused = parse_qs(urlsplit(first.headers["Location"]).query)["state"][0]
        await client.get(
            "/login/dev/authorized", query_string={"error": "access_denied", "state": refused}
        )
        second = await client.get("/login/dev")
        other = parse_qs(urlsplit(second.headers["Location"]).query)["state"][0]
        response = await client.get(
            "/login/dev/authorized", query_string={"code": "x", "state": other + "-altered"}
        )
        page = await response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This sign-in link is not valid here" in page
    assert "declined" not in page


async def test_favicon_is_served_and_linked(app: Quart) -> None:
    async with app.test_app() as test_app:
        client = test_app.test_client()
        response = await client.get("/favicon.ico")
        icon = await response.get_data()
        pages = [await (await client.get(path)).get_data(as_text=True) for path in ("/", "/nope")]
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    svg = ET.fromstring(icon)  # noqa: S314 -- the app's own file
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    for page in pages:
        assert '<link rel="icon" type="image/svg+xml" href="/favicon.ico">' in page
