"""PAR by default when the provider's metadata requires it (RFC 9126 §5), through the extension."""

from __future__ import annotations

import base64
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from yarl import URL

from tests.ext.oidc_support import TamperingProvider, authorize, make_app
from tests.fake_provider.oidc import CLIENT_ID, CLIENT_SECRET
from tests.fake_provider.serving import TLS, serve


class PushingProvider(TamperingProvider):
    """The fake OpenID provider with a PAR endpoint; it requires pushed requests."""

    def __init__(self) -> None:
        super().__init__()
        self.pushed: dict[str, dict[str, str]] = {}
        self.push_auth: list[str | None] = []
        self.push_status = 201
        self.app.router.add_post("/par", self._par)

    async def _par(self, request: web.Request) -> web.Response:
        self.push_auth.append(request.headers.get("Authorization"))
        if self.push_status != 201:
            return web.json_response({"error": "invalid_request"}, status=self.push_status)
        form = {k: str(v) for k, v in (await request.post()).items()}
        uri = f"urn:ietf:params:oauth:request_uri:{secrets.token_urlsafe(8)}"
        self.pushed[uri] = form
        return web.json_response({"request_uri": uri, "expires_in": 60}, status=201)


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[PushingProvider]:
    p = PushingProvider()
    async with serve(p.app, tls) as base_url:
        p.issuer = str(base_url)
        p.metadata_overrides = {
            "pushed_authorization_request_endpoint": f"{base_url}/par",
            "require_pushed_authorization_requests": True,
        }
        yield p


async def test_a_provider_requiring_par_gets_pushed_requests(
    tls: TLS, provider: PushingProvider
) -> None:
    app, _ = make_app(tls, provider)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        start = await client.get("/login/corp")
        assert start.status_code == 302
        location = URL(start.headers["Location"])
        assert set(location.query) == {"client_id", "request_uri"}
        pushed = provider.pushed[location.query["request_uri"]]
        assert pushed["client_id"] == CLIENT_ID and pushed["code_challenge_method"] == "S256"
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        assert provider.push_auth == [f"Basic {basic}"]  # authenticated like a token request
        # The callback finishes as usual, with the pushed state and nonce.
        query = authorize(provider, URL.build(query=pushed))
        back = await client.get("/login/corp/authorized", query_string=query)
        assert back.status_code == 302, await back.get_data(as_text=True)


@pytest.mark.parametrize(("status", "code"), [(400, 502), (401, 502), (429, 503)])
async def test_a_refused_push_answers_an_error_page_and_stores_nothing(
    tls: TLS, provider: PushingProvider, status: int, code: int
) -> None:
    provider.push_status = status
    app, oauth = make_app(tls, provider)
    errors: list[Any] = []
    from quart_oauthlib.signals import oauth_error

    async def seen(sender: Any, **kwargs: Any) -> None:
        errors.append(kwargs["error"])

    oauth_error.connect(seen)
    try:
        async with app.test_app() as test_app:
            start = await test_app.test_client().get("/login/corp")
            assert start.status_code == code
    finally:
        oauth_error.disconnect(seen)
    assert errors == ["par_failed"]


async def test_par_false_does_not_push_even_when_the_metadata_requires_it(
    tls: TLS, provider: PushingProvider
) -> None:
    app, _ = make_app(tls, provider, par=False)
    async with app.test_app() as test_app:
        start = await test_app.test_client().get("/login/corp")
        assert "request_uri" not in URL(start.headers["Location"]).query
    assert provider.pushed == {}
