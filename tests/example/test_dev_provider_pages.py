"""The development provider's pages: answered requests, its own error pages, links, icon."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest
from quart import Quart, Response

from example_app.dev_provider import DevProviderSettings, create_dev_provider
from example_app.dev_provider.provider import DevProvider
from tests.example.test_dev_provider import (
    CLIENT,
    ISSUER,
    Client,
    authorize_query,
    csrf_from,
    pkce_pair,
    sign_in,
)

#: Text only Werkzeug's bare error pages have.
WERKZEUG_404 = "The requested URL was not found on the server"
WERKZEUG_405 = "The method is not allowed for the requested URL"


@pytest.fixture(name="provider")
def _provider() -> Quart:
    return create_dev_provider(DevProviderSettings(issuer=ISSUER, clients=(CLIENT,)))


@pytest.fixture(name="client")
def _client(provider: Quart) -> Client:
    return provider.test_client()


def codes_issued(provider: Quart) -> int:
    dev: DevProvider = provider.extensions["dev_provider"]
    return len(dev.store.codes)


def href_of(page: str, label_html: str) -> str:
    """The ``href`` of the link whose content is ``label_html``."""
    match = re.search(rf'<a href="([^"]*)">{re.escape(label_html)}</a>', page)
    assert match, f"no link {label_html!r} on the page"
    return html.unescape(match.group(1))


async def consent_page(client: Client, query: dict[str, str]) -> str:
    response = await client.get("/authorize", query_string=query)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"  # Back asks the provider again
    return await response.get_data(as_text=True)


async def answer(client: Client, query: dict[str, str], csrf: str, decision: str) -> Response:
    return await client.post(
        "/authorize", query_string=query, form={"csrf_token": csrf, "decision": decision}
    )


@pytest.mark.parametrize(
    ("label", "path"),
    [
        ("/.well-known/openid-configuration", "/.well-known/openid-configuration"),
        ("/.well-known/oauth-authorization-server", "/.well-known/oauth-authorization-server"),
    ],
)
async def test_home_page_discovery_links_go_where_they_say(
    client: Client, label: str, path: str
) -> None:
    page = await (await client.get("/")).get_data(as_text=True)
    href = href_of(page, f"<code>{label}</code>")
    assert href == path
    metadata = await (await client.get(href)).get_json()
    assert metadata["issuer"] == ISSUER
    assert metadata["authorization_endpoint"] == f"{ISSUER}/authorize"


async def test_deny_back_allow_says_the_request_was_denied(client: Client, provider: Quart) -> None:
    await sign_in(client)
    _verifier, challenge = pkce_pair()
    query = authorize_query(challenge)
    csrf = csrf_from(await consent_page(client, query))

    denied = await answer(client, query, csrf, "deny")
    assert denied.status_code == 302
    assert "error=access_denied" in denied.headers["Location"]

    # The consent page, kept by the browser, answered again: no code, and why not.
    again = await answer(client, query, csrf, "allow")
    page = await again.get_data(as_text=True)
    assert again.status_code == 409
    assert "Location" not in again.headers
    assert "You already denied this request" in page
    assert "nothing was shared" in page
    assert 'href="http://127.0.0.1:5000/">Back to Example app</a>' in page
    assert codes_issued(provider) == 0

    # Back to the consent page itself (not cached): the same answer, not the question.
    back = await client.get("/authorize", query_string=query)
    assert back.status_code == 409
    assert "You already denied this request" in await back.get_data(as_text=True)


async def test_allow_twice_says_the_request_was_allowed(client: Client, provider: Quart) -> None:
    await sign_in(client)
    _verifier, challenge = pkce_pair()
    query = authorize_query(challenge)
    csrf = csrf_from(await consent_page(client, query))
    allowed = await answer(client, query, csrf, "allow")
    assert "code" in parse_qs(urlsplit(allowed.headers["Location"]).query)

    again = await answer(client, query, csrf, "allow")
    assert again.status_code == 409
    assert "You already allowed this request" in await again.get_data(as_text=True)
    assert codes_issued(provider) == 1


async def test_another_login_of_the_same_client_is_asked_again(client: Client) -> None:
    await sign_in(client)
    _verifier, challenge = pkce_pair()
    first = authorize_query(challenge)
    await answer(client, first, csrf_from(await consent_page(client, first)), "deny")
    # A new login (new state, new PKCE challenge) is a new request: consent again.
    _verifier, challenge = pkce_pair()
    second = authorize_query(challenge, state="state-789")
    page = await consent_page(client, second)
    assert 'class="decision"' in page


async def test_unknown_page_is_the_providers_own_404(client: Client) -> None:
    response = await client.get("/nope")
    page = await response.get_data(as_text=True)
    assert response.status_code == 404
    assert response.content_type.startswith("text/html")
    assert "<h1>Page not found</h1>" in page
    assert "There is no page at /nope on this provider." in page
    assert "for development only" in page  # the provider's banner: its look
    assert WERKZEUG_404 not in page


async def test_wrong_method_is_the_providers_own_405(client: Client) -> None:
    response = await client.get("/token")
    page = await response.get_data(as_text=True)
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert "<h1>Not available this way</h1>" in page
    assert "/token does not answer a GET request." in page
    assert WERKZEUG_405 not in page


async def test_expired_form_is_the_providers_own_400(client: Client) -> None:
    response = await client.post("/login", form={"username": "ada", "csrf_token": "forged"})
    page = await response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The form expired or came from another site" in page
    assert "for development only" in page


async def test_api_errors_stay_json(client: Client) -> None:
    """Answers passed whole to abort() (RFC 6750 errors) are not turned into pages."""
    response = await client.get("/userinfo")
    assert response.status_code == 401
    assert (await response.get_json())["error"] == "invalid_token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")


async def test_favicon_is_served_and_linked(client: Client) -> None:
    response = await client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    svg = ET.fromstring(await response.get_data())  # noqa: S314 -- the provider's own file
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    for path in ("/", "/login", "/nope"):
        page = await (await client.get(path)).get_data(as_text=True)
        assert '<link rel="icon" type="image/svg+xml" href="/favicon.ico">' in page
