"""``next`` never leads off-site: every trick lands on a local path."""

from __future__ import annotations

import pytest
from quart import Quart

from quart_oauthlib.extension.redirects import safe_next
from tests.ext.conftest import corp_settings, follow_provider, make_app
from tests.fake_provider.oauth2 import OAuth2Provider
from tests.fake_provider.serving import TLS

EVIL = [
    "https://evil.example/",
    "http://evil.example/path",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "data:text/html,hi",
    "%2F%2Fevil.example",
    "/%2F%2Fevil.example",
    "/%2f%2fevil.example",
    "/%5Cevil.example",
    "/%255Cevil.example",
    "/%25252F%25252Fevil.example",
    "https:evil.example",
    "/\tevil.example",
    "/\r\nLocation: https://evil.example",
    "evil.example",
    "https://localhost@evil.example/",
    "https://evil.example\\@localhost/",
    "x" * 3000,
    "/" + "x" * 512,  # local, but too long to keep in the session cookie
]


@pytest.mark.parametrize("value", EVIL)
async def test_unsafe_next_is_dropped(value: str) -> None:
    app = Quart(__name__)
    async with app.test_request_context("/", headers={"Host": "localhost"}):
        assert safe_next(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/profile", "/profile"),
        ("/a/b?x=1&y=%2F#frag", "/a/b?x=1&y=%2F#frag"),
        ("/search?q=a%5Cb", "/search?q=a%5Cb"),
        ("http://localhost/page?x=1", "/page?x=1"),
        ("https://localhost", "/"),
        ("/" + "x" * 511, "/" + "x" * 511),
    ],
)
async def test_local_next_is_kept(value: str, expected: str) -> None:
    app = Quart(__name__)
    async with app.test_request_context("/", headers={"Host": "localhost"}):
        assert safe_next(value) == expected


@pytest.mark.parametrize("value", EVIL[:16])
async def test_login_with_evil_next_lands_home(
    tls: TLS, provider: OAuth2Provider, value: str
) -> None:
    app, _ = make_app(tls, {"corp": corp_settings(provider)})
    async with app.test_app() as test_app:
        client = test_app.test_client()
        response = await client.get("/login/corp", query_string={"next": value})
        back = await follow_provider(tls, response.headers["Location"])
        done = await client.get(back.path, query_string=dict(back.query))
    assert done.status_code == 302
    assert done.headers["Location"] == "/"
