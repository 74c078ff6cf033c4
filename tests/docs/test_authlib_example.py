"""docs/examples/authlib_app.py: an Authlib app's own views, driven through real logins."""

from __future__ import annotations

import aiohttp
import pytest
from yarl import URL

from quart_oauthlib.testing import FakeProvider
from quart_oauthlib.testing.pytest_plugin import fake_provider
from tests.docs.conftest import load_example

__all__ = ["fake_provider"]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "docs-test-secret")
    monkeypatch.setenv("GOOGLE_CLIENT_ID", "from-env")
    monkeypatch.setenv("GOOGLE_CLIENT_SECRET", "from-env-secret")


async def approve(location: str) -> URL:
    async with aiohttp.ClientSession() as http:
        async with http.get(location, allow_redirects=False) as resp:
            return URL(resp.headers["Location"])


async def test_the_authlib_example(fake_provider: FakeProvider, env: None) -> None:
    example = load_example("authlib_app.py")
    # An OAUTH_PROVIDERS entry wins over what register() and GOOGLE_CLIENT_ID say.
    app = example.create_app({"OAUTH_PROVIDERS": {"google": fake_provider.settings_for("google")}})
    assert app.extensions["quart_oauthlib"].provider("google").settings.scope == (
        "openid",
        "email",
        "profile",
    )
    async with app.test_app() as test_app:
        client = test_app.test_client()
        assert "Sign in with Google" in await (await client.get("/")).get_data(as_text=True)
        assert (await client.get("/files")).headers["Location"] == "/login"
        start = await client.get("/login")
        back = await approve(start.headers["Location"])
        assert str(back.with_query(None)) == "http://localhost/auth"
        assert (await client.get(back.path, query_string=dict(back.query))).status_code == 302
        home = await (await client.get("/")).get_data(as_text=True)
        assert "Hello Alice." in home and 'action="/logout/google"' in home
        files = await (await client.get("/files")).get_json()
        assert files["path"] == "/drive/v3/files" and files["sub"] == "alice"
        assert (await client.post("/logout/google", form={"next": "/"})).status_code == 303
        assert "Sign in with Google" in await (await client.get("/")).get_data(as_text=True)
        fake_provider.deny_logins = "access_denied"
        back = await approve((await client.get("/login")).headers["Location"])
        cancelled = await client.get(back.path, query_string=dict(back.query))
        assert await cancelled.get_data(as_text=True) == "You cancelled the sign-in."
        fake_provider.deny_logins = "invalid_scope"
        back = await approve((await client.get("/login")).headers["Location"])
        failed = await client.get(back.path, query_string=dict(back.query))
        assert failed.status_code == 400
        assert await failed.get_data(as_text=True) == "The sign-in failed (invalid_scope)."
