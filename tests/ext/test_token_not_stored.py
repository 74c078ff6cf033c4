"""A token that does not fit the session cookie: a clear page and oauth_error, not a bare 500."""

from __future__ import annotations

import html
import ssl
from typing import Any

import pytest

from quart_oauthlib import QuartOAuth, SessionTokenStore
from quart_oauthlib.signals import oauth_error
from tests.ext.conftest import corp_settings, follow_provider, make_app
from tests.fake_provider.oauth2 import OAuth2Provider
from tests.fake_provider.serving import TLS


@pytest.mark.parametrize("json_client", [False, True])
async def test_a_token_too_large_for_the_cookie_gets_a_clear_answer(
    tls: TLS, provider: OAuth2Provider, json_client: bool
) -> None:
    oauth = QuartOAuth(store=SessionTokenStore(max_cookie_bytes=300))
    app, _ = make_app(tls, {"corp": corp_settings(provider)}, oauth)
    seen: list[dict[str, Any]] = []

    async def receiver(sender: Any, **extra: Any) -> None:
        seen.append(extra)

    headers = {"Accept": "application/json"} if json_client else {}
    with oauth_error.connected_to(receiver):
        async with app.test_app() as test_app:
            client = test_app.test_client()
            start = await client.get("/login/corp")
            back = await follow_provider(tls, start.headers["Location"])
            response = await client.get(back.path, query_string=dict(back.query), headers=headers)
            assert (await client.get("/profile")).status_code == 302  # nothing kept
    assert response.status_code == 500
    if json_client:
        body = await response.get_json()
        assert body["error"] == "session_cookie_too_large"
        assert "server-side token store" in body["error_description"]
    else:
        page = html.unescape(await response.get_data(as_text=True))
        assert "its token cannot be kept" in page
        assert "server-side token store" in page
    assert [e["error"] for e in seen] == ["session_cookie_too_large"]


async def test_the_ca_bundle_adds_to_the_system_trust_store(tls: TLS) -> None:
    system = len(ssl.create_default_context().get_ca_certs())
    if system == 0:
        pytest.skip("this system's CAs are loaded lazily (a directory), so cannot be counted")
    app, _ = make_app(tls, {"corp": {"preset": "github", "client_id": "a", "client_secret": "b"}})
    http = app.extensions["quart_oauthlib"].session_factory()
    try:
        context = http.connector._ssl  # type: ignore[union-attr]
        assert isinstance(context, ssl.SSLContext)
        subjects = [dict(x[0] for x in cert["subject"]) for cert in context.get_ca_certs()]
    finally:
        await http.close()
    assert len(subjects) == system + 1
    assert any(s.get("organizationName", "").startswith("trustme") for s in subjects)
