"""The shipped fake provider: whole logins for any preset, and what a test can do to it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest
from quart import Quart

from quart_oauthlib import ConfigurationError, QuartOAuth
from quart_oauthlib.extension.flows import oidc as oidc_flow
from quart_oauthlib.testing import FakeProvider


def app_for(fake: FakeProvider, name: str, **settings: Any) -> tuple[Quart, QuartOAuth]:
    app = Quart(__name__)
    app.config.update(SECRET_KEY="k", OAUTH_PROVIDERS={name: fake.settings_for(name, **settings)})
    oauth = QuartOAuth(app)

    @app.route("/api")
    @oauth.require(name)
    async def api() -> Any:
        async with oauth[name].get("me") as resp:
            return {"status": resp.status, "body": await resp.json()}

    @app.route("/profile")
    @oauth.require(name)
    async def profile() -> Any:
        found = await oauth[name].profile()
        return {"id": found.id, "email": found.email}

    return app, oauth


@pytest.mark.parametrize("name", ["github", "google", "microsoft", "gitlab", "discord", "okta"])
async def test_whole_login_for_presets(fake_provider: FakeProvider, name: str) -> None:
    fake_provider.user = {"sub": "u-1", "id": "u-1", "email": "u1@example.org", "name": "U"}
    app, _ = app_for(fake_provider, name)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        assert (await client.get("/api")).status_code == 302
        done = await fake_provider.login(client, name, next="/api")
        assert done.status_code == 302 and done.headers["Location"] == "/api"
        api = await (await client.get("/api")).get_json()
        assert api["status"] == 200 and api["body"]["sub"] == "u-1"
        assert (await (await client.get("/profile")).get_json())["id"] == "u-1"


async def test_public_client_with_pkce(fake_provider: FakeProvider) -> None:
    app, _ = app_for(fake_provider, "github", token_endpoint_auth_method="none")
    assert fake_provider.records.clients["github-client"].client_secret is None
    async with app.test_app() as test_app:
        client = test_app.test_client()
        assert (await fake_provider.login(client, "github")).status_code == 302
        assert (await (await client.get("/api")).get_json())["status"] == 200


async def test_expired_tokens_are_refused_by_the_api(fake_provider: FakeProvider) -> None:
    app, _ = app_for(fake_provider, "github")
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await fake_provider.login(client, "github")
        assert (await (await client.get("/api")).get_json())["status"] == 200
        before = set(fake_provider.records.access_tokens)
        fake_provider.expire_tokens()
        # The app still believes its token fresh: the API says 401 invalid_token, as a
        # real one would, and the bound session refreshes once and sends the call again.
        assert (await (await client.get("/api")).get_json())["status"] == 200
        assert set(fake_provider.records.access_tokens) - before  # a new token was issued


async def test_a_short_lived_token_is_refreshed_by_the_app(fake_provider: FakeProvider) -> None:
    fake_provider.access_token_lifetime = 1
    app, _ = app_for(fake_provider, "github")
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await fake_provider.login(client, "github")
        await asyncio.sleep(2.1)  # expired, even if expires_at was rounded up
        before = set(fake_provider.records.access_tokens)
        fake_provider.access_token_lifetime = 3600
        assert (await (await client.get("/api")).get_json())["status"] == 200
        assert set(fake_provider.records.access_tokens) - before  # a new token was issued


async def test_revoked_tokens_send_the_user_to_log_in_again(fake_provider: FakeProvider) -> None:
    fake_provider.access_token_lifetime = 1
    app, _ = app_for(fake_provider, "github")
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await fake_provider.login(client, "github")
        await asyncio.sleep(2.1)  # expired: the next use refreshes it
        fake_provider.revoke_tokens()
        again = await client.get("/api")  # the refresh is refused: invalid_grant
        assert again.status_code == 302
        assert again.headers["Location"].startswith("/login/github")


@pytest.mark.parametrize("keep_old", [True, False])
async def test_rotated_keys_sign_new_logins(
    fake_provider: FakeProvider, monkeypatch: pytest.MonkeyPatch, keep_old: bool
) -> None:
    app, _ = app_for(fake_provider, "google")
    async with app.test_app() as test_app:
        async with aiohttp.ClientSession() as http:
            async with http.get(fake_provider.url("/jwks")) as resp:
                (old_kid,) = [key["kid"] for key in (await resp.json())["keys"]]
            assert (await fake_provider.login(test_app.test_client(), "google")).status_code == 302
            fake_provider.rotate_keys(keep_old=keep_old)
            async with http.get(fake_provider.url("/jwks")) as resp:
                kids = [key["kid"] for key in (await resp.json())["keys"]]
        assert (old_kid in kids) is keep_old and len(kids) == (2 if keep_old else 1)
        # An ID token signed with the new key names an unknown kid: the app refetches
        # the keys once and accepts it...
        assert (await fake_provider.login(test_app.test_client(), "google")).status_code == 302
        # ...but refetches for unknown kids at most once a minute: another rotation is
        # refused until then...
        fake_provider.rotate_keys(keep_old=keep_old)
        assert (await fake_provider.login(test_app.test_client(), "google")).status_code == 400
        # ...and accepted after (the key cache's clock moved on).
        later = time.monotonic() + 3600
        monkeypatch.setattr(oidc_flow, "_monotonic", lambda: later)
        assert (await fake_provider.login(test_app.test_client(), "google")).status_code == 302


async def test_denied_logins(fake_provider: FakeProvider) -> None:
    fake_provider.deny_logins = "access_denied"
    app, _ = app_for(fake_provider, "github")
    async with app.test_app() as test_app:
        assert (await fake_provider.login(test_app.test_client(), "github")).status_code == 403


def test_oauth1_presets_are_refused(fake_provider: FakeProvider) -> None:
    with pytest.raises(ConfigurationError, match="OAuth 2 only"):
        fake_provider.settings_for("tumblr")


async def test_the_provider_enforces_the_protocol(fake_provider: FakeProvider) -> None:
    fake_provider.settings_for("github")
    async with aiohttp.ClientSession() as http:
        token = {"grant_type": "authorization_code", "code": "forged", "redirect_uri": "http://x/"}
        async with http.post(
            fake_provider.url("/token"),
            data={**token, "client_id": "github-client", "client_secret": "wrong"},
        ) as resp:
            assert resp.status == 401 and (await resp.json())["error"] == "invalid_client"
        async with http.get(
            fake_provider.url("/user"), headers={"Authorization": "Bearer no"}
        ) as resp:
            assert resp.status == 401
