"""``profile()`` for OpenID providers: through the checked userinfo, or from the ID token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from quart import Quart, jsonify
from yarl import URL

from quart_oauthlib import MemoryTokenStore, Profile, QuartOAuth
from tests.ext.oidc_support import TamperingProvider, authorize, login, running, settings
from tests.fake_provider.serving import TLS


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[TamperingProvider]:
    async with running(tls) as p:
        yield p


def app_with_profile(tls: TLS, provider: TamperingProvider) -> Quart:
    app = Quart(__name__)
    app.config["SECRET_KEY"] = "test-secret-key"
    app.config["OAUTH_PROVIDERS"] = {"corp": settings(provider)}
    app.config["OAUTH_CA_BUNDLE"] = tls.ca_pem_path
    oauth = QuartOAuth(store=MemoryTokenStore())
    oauth.init_app(app)

    @app.route("/who")
    async def who() -> Any:
        profile: Profile = await oauth["corp"].profile()
        return jsonify(id=profile.id, email=profile.email, raw=dict(profile.raw))

    return app


async def who_after_login(tls: TLS, provider: TamperingProvider) -> Any:
    app = app_with_profile(tls, provider)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        response = await login(client, provider)
        assert response.status_code == 302, await response.get_data(as_text=True)
        who = await client.get("/who")
        assert who.status_code == 200, await who.get_data(as_text=True)
        return await who.get_json()


async def test_profile_from_the_discovered_userinfo(tls: TLS, provider: TamperingProvider) -> None:
    data = await who_after_login(tls, provider)
    assert data["id"] == "user-42" and data["email"] == "ada@example.test"
    assert provider.calls["userinfo"] == 2  # at login, then for profile()


async def test_without_a_userinfo_endpoint_the_id_token_claims_are_mapped(
    tls: TLS, provider: TamperingProvider
) -> None:
    # Sign in with Apple's case: its metadata names no userinfo endpoint.
    provider.metadata_overrides["userinfo_endpoint"] = None
    data = await who_after_login(tls, provider)
    assert data["id"] == "user-42"
    assert data["raw"]["iss"] == provider.issuer
    assert provider.calls["userinfo"] == 0


async def test_apple_preset_form_post_login_and_profile_from_claims(
    tls: TLS, provider: TamperingProvider
) -> None:
    """The ``apple`` preset against a local provider: form_post callback, claims profile."""
    provider.metadata_overrides["userinfo_endpoint"] = None
    app = Quart(__name__)
    app.config["SECRET_KEY"] = "test-secret-key"
    app.config["OAUTH_CA_BUNDLE"] = tls.ca_pem_path
    app.config["OAUTH_PROVIDERS"] = {"apple": settings(provider)}  # a configured secret wins
    oauth = QuartOAuth(store=MemoryTokenStore())
    oauth.init_app(app)

    @app.route("/who")
    async def who() -> Any:
        return jsonify(id=(await oauth.apple.profile()).id)

    async with app.test_app() as test_app:
        client = test_app.test_client()
        response = await client.get("/login/apple")
        location = URL(response.headers["Location"])
        assert location.query["response_mode"] == "form_post"
        assert "openid" in location.query["scope"].split()
        answer = await client.post("/login/apple/authorized", form=authorize(provider, location))
        assert answer.status_code == 302, await answer.get_data(as_text=True)
        assert (await (await client.get("/who")).get_json()) == {"id": "user-42"}
