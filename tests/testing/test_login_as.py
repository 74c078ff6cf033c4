"""``login_as``: a test client signed in without a provider, whatever the store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from quart import Quart, redirect, url_for

from quart_oauthlib import ConfigurationError, QuartOAuth, TokenStore
from quart_oauthlib.storage.sqla import SQLTokenStore
from quart_oauthlib.testing import FakeProvider, login_as, logout_as

GITHUB = {
    "client_id": "id",
    "client_secret": "secret",
    "api_base_url": "https://api.github.invalid/",
}
GOOGLE = {"client_id": "id", "client_secret": "secret", "scope": "openid email"}


def make_app(store: Any, **oauth_kwargs: Any) -> tuple[Quart, QuartOAuth]:
    app = Quart(__name__)
    app.config.update(
        SECRET_KEY="k",
        OAUTH_PROVIDERS={
            "github": GITHUB,
            "google": {
                **GOOGLE,
                "authorize_url": "https://g.invalid/a",
                "token_url": "https://g.invalid/t",
            },
        },
        OAUTH_TOKEN_STORE=store if isinstance(store, str) else "session",
    )
    oauth = QuartOAuth(app, store=None if isinstance(store, str) else store, **oauth_kwargs)

    @app.route("/")
    async def home() -> Any:
        await oauth.github.load_token()  # any store
        if not oauth.github.authorized:
            return redirect(url_for("github.login"))
        return {"token": oauth.github.token["access_token"]}

    @app.route("/claims")
    async def claims() -> Any:
        return {"claims": await oauth.google.id_token_claims()}

    return app, oauth


@pytest.fixture(params=["session", "memory", "sql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    if request.param != "sql":
        yield request.param
        return
    sql = SQLTokenStore(f"sqlite+aiosqlite:///{tmp_path}/tokens.sqlite3")
    yield sql
    await sql.close()


async def test_login_as_signs_the_client_in(store: str | TokenStore) -> None:
    app, _ = make_app(store)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        assert (await client.get("/")).status_code == 302
        token = await login_as(
            client, "github", token={"access_token": "t-1", "token_type": "Bearer"}
        )
        assert token["access_token"] == "t-1"
        assert await (await client.get("/")).get_json() == {"token": "t-1"}
        assert (await test_app.test_client().get("/")).status_code == 302  # another browser
        await logout_as(client, "github")
        assert (await client.get("/")).status_code == 302


async def test_a_made_up_token_and_openid_claims(store: str | TokenStore) -> None:
    app, _ = make_app(store)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        token = await login_as(client, "github")
        assert token["token_type"] == "Bearer" and token["expires_at"] > 0
        assert await (await client.get("/")).get_json() == {"token": token["access_token"]}
        await login_as(client, "google", userinfo={"sub": "ada", "email": "ada@example.org"})
        claims = (await (await client.get("/claims")).get_json())["claims"]
        assert claims == {"sub": "ada", "email": "ada@example.org"}


async def test_apps_with_a_user_id_loader_name_the_user() -> None:
    current: dict[str, str | None] = {"user": None}
    app, oauth = make_app("memory", user_id_loader=lambda: current["user"])
    async with app.test_app() as test_app:
        client = test_app.test_client()
        with pytest.raises(ConfigurationError, match="user_id="):
            await login_as(client, "github")
        await login_as(client, "github", user_id="u1", token={"access_token": "t-u1"})
        current["user"] = "u1"
        assert await (await client.get("/")).get_json() == {"token": "t-u1"}
        current["user"] = "u2"
        assert (await client.get("/")).status_code == 302


async def test_login_as_with_the_fake_provider_answers_api_calls(
    fake_provider: FakeProvider,
) -> None:
    app = Quart(__name__)
    app.config.update(
        SECRET_KEY="k", OAUTH_PROVIDERS={"github": fake_provider.settings_for("github")}
    )
    oauth = QuartOAuth(app)

    @app.route("/me")
    @oauth.require("github")
    async def me() -> Any:
        profile = await oauth.github.profile()
        async with oauth.github.get("/user/repos") as resp:
            api = await resp.json()
        return {"name": profile.name, "id": profile.id, "path": api["path"]}

    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login_as(
            client, "github", fake_provider=fake_provider, userinfo={"id": 7, "login": "ada"}
        )
        body = await (await client.get("/me")).get_json()
    assert body == {"name": "ada", "id": "7", "path": "/user/repos"}
