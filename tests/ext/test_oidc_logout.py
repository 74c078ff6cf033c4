"""Logout from an OpenID provider: revoke at the provider, then RP-initiated logout."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from yarl import URL

from quart_oauthlib import MemoryTokenStore
from tests.ext.oidc_support import TamperingProvider, forget_discovery, login, make_app, running
from tests.fake_provider.oidc import CLIENT_ID
from tests.fake_provider.serving import TLS


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[TamperingProvider]:
    async with running(tls) as p:
        yield p


async def test_logout_revokes_and_ends_the_provider_session(
    tls: TLS, provider: TamperingProvider
) -> None:
    store = MemoryTokenStore()
    app, _ = make_app(tls, provider, store=store)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, provider)
        ((_, token),) = store._tokens.items()
        response = await client.post("/logout/corp", form={"next": "/bye"})
        assert response.status_code == 303
        async with client.session_transaction() as session:
            assert "_oauth_oidc" not in session
        assert (await client.get("/me")).status_code == 302  # signed out here too
    assert provider.revoked == [(token["access_token"], "access_token")]
    assert provider.last_auth is not None and provider.last_auth.startswith("Basic ")
    location = URL(response.headers["Location"])
    assert str(location.with_query(None)) == f"{provider.issuer}/logout"
    assert dict(location.query) == {
        "client_id": CLIENT_ID,
        "post_logout_redirect_uri": "http://localhost/bye",
    }
    assert "id_token_hint" not in location.query  # the raw ID token was never kept


async def test_logout_as_json_names_the_end_session_url(
    tls: TLS, provider: TamperingProvider
) -> None:
    app, _ = make_app(tls, provider)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, provider)
        response = await client.post("/logout/corp", headers={"Accept": "application/json"})
    assert response.status_code == 200
    url = URL((await response.get_json())["end_session_url"])
    assert url.query["post_logout_redirect_uri"] == "http://localhost/"


async def test_logout_without_end_session_endpoint(tls: TLS, provider: TamperingProvider) -> None:
    provider.metadata_overrides["end_session_endpoint"] = None
    app, _ = make_app(tls, provider)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, provider)
        response = await client.post("/logout/corp", form={"next": "/bye"})
    assert response.headers["Location"] == "/bye"
    assert len(provider.revoked) == 1


async def test_logout_still_works_when_discovery_fails(
    tls: TLS, provider: TamperingProvider
) -> None:
    store = MemoryTokenStore()
    app, _ = make_app(tls, provider, store=store)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, provider)
        forget_discovery(app)  # a restart...
        provider.metadata_body = b"down"  # ...while the provider is down
        response = await client.post("/logout/corp")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert len(store) == 0 and provider.revoked == []
