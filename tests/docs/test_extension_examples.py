"""The extension's quick start and token store examples, driven through a whole login."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography.fernet import Fernet
from quart.testing import QuartClient
from yarl import URL

from tests.docs.conftest import load_example
from tests.fake_provider.oauth2 import Client, OAuth2Provider, running_provider
from tests.fake_provider.serving import TLS

CALLBACK = "http://localhost/login/github/authorized"


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[OAuth2Provider]:
    clients = [Client("web-client", "web-secret", [CALLBACK])]
    async with running_provider(tls, clients=clients) as p:
        yield p


def github_here(provider: OAuth2Provider) -> dict[str, Any]:
    """The github preset, pointed at the local provider."""
    return {
        "client_id": "web-client",
        "client_secret": "web-secret",
        "authorize_url": provider.url("/authorize"),
        "token_url": provider.url("/token"),
        "userinfo_url": provider.url("/api/user"),
        "scope": ["read"],
    }


async def sign_in(client: QuartClient, tls: TLS, start: str) -> Any:
    """Follow the app's redirect to the provider, approve, come back to the callback."""
    response = await client.get(start)
    assert response.status_code == 302
    if not response.headers["Location"].startswith("https://"):  # require() -> /login/github
        response = await client.get(response.headers["Location"])
    connector = aiohttp.TCPConnector(ssl=tls.client_context)
    async with aiohttp.ClientSession(connector=connector) as http:
        async with http.get(response.headers["Location"], allow_redirects=False) as resp:
            back = URL(resp.headers["Location"])
    assert str(back.with_query(None)) == CALLBACK
    return await client.get(back.path, query_string=dict(back.query))


async def test_quickstart(
    provider: OAuth2Provider, tls: TLS, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_KEY", "docs-test-secret")
    monkeypatch.setenv("GITHUB_CLIENT_ID", "web-client")
    monkeypatch.setenv("GITHUB_CLIENT_SECRET", "web-secret")
    example = load_example("quickstart_app.py")
    app = example.create_app(
        {
            "OAUTH_PROVIDERS": {"github": github_here(provider)},
            "OAUTH_CA_BUNDLE": tls.ca_pem_path,
        }
    )
    async with app.test_app() as test_app:
        client = test_app.test_client()
        back = await sign_in(client, tls, "/")
        assert back.status_code == 302 and back.headers["Location"] == "/"
        page = await (await client.get("/")).get_data(as_text=True)
        assert "Signed in as Alice." in page
        assert "/logout/github" in page
        await client.post("/logout/github")
        assert (await client.get("/")).status_code == 302


async def test_quickstart_reads_credentials_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SECRET_KEY", "docs-test-secret")
    monkeypatch.setenv("GITHUB_CLIENT_ID", "from-env")
    monkeypatch.setenv("GITHUB_CLIENT_SECRET", "from-env-secret")
    example = load_example("quickstart_app.py")
    app = example.create_app()
    config = example.oauth.provider("github", app)
    assert config.client_id == "from-env"
    assert config.authorize_url == "https://github.com/login/oauth/authorize"


async def test_token_store_user_id_and_signal(provider: OAuth2Provider, tls: TLS) -> None:
    example = load_example("token_store.py")
    app = example.create_app(
        {
            "SECRET_KEY": "docs-test-secret",
            "OAUTH_PROVIDERS": {"github": github_here(provider)},
            "OAUTH_CA_BUNDLE": tls.ca_pem_path,
        }
    )
    async with app.test_app() as test_app:
        back = await sign_in(test_app.test_client(), tls, "/login/github")
    assert back.status_code == 302
    assert list(example.store.rows) == [("github", "user:user-from-github")]
    assert example.store.rows[("github", "user:user-from-github")]["access_token"]


async def test_shared_encrypted_store(
    provider: OAuth2Provider, tls: TLS, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "tokens.db"
    monkeypatch.setenv("SECRET_KEY", "docs-test-secret")
    monkeypatch.setenv("TOKEN_STORE_URL", f"sqlite:///{database}")
    monkeypatch.setenv(
        "TOKEN_KEYS", f"{Fernet.generate_key().decode()} {Fernet.generate_key().decode()}"
    )
    monkeypatch.setenv("GITHUB_CLIENT_ID", "web-client")
    monkeypatch.setenv("GITHUB_CLIENT_SECRET", "web-secret")
    example = load_example("shared_store.py")
    app = example.create_app(
        {"OAUTH_PROVIDERS": {"github": github_here(provider)}, "OAUTH_CA_BUNDLE": tls.ca_pem_path}
    )
    async with app.test_app() as test_app:
        back = await sign_in(test_app.test_client(), tls, "/login/github")
        assert back.status_code == 302
    issued = [t for t in provider.store.access_tokens]
    assert len(issued) == 1
    with closing(sqlite3.connect(database)) as db:
        rows = db.execute("SELECT * FROM oauth_tokens").fetchall()
    assert len(rows) == 1  # the table was made on first use, and holds the token ...
    assert issued[0] not in repr(rows)  # ... encrypted
    assert issued[0].encode() not in database.read_bytes()


async def test_flask_dance_receiver_rewritten(provider: OAuth2Provider, tls: TLS) -> None:
    example = load_example("flask_dance_receiver.py")
    app = example.create_app(
        {
            "SECRET_KEY": "docs-test-secret",
            "OAUTH_PROVIDERS": {"github": github_here(provider)},
            "OAUTH_CA_BUNDLE": tls.ca_pem_path,
        }
    )
    async with app.test_app() as test_app:
        client = test_app.test_client()
        back = await sign_in(client, tls, "/login/github")
        assert back.status_code == 302
        async with client.session_transaction() as session:
            user_id = session["user_id"]
        index = await client.get("/")  # @oauth.require: the extension stored the token
        page = await index.get_data(as_text=True)
    (sub, user), *others = example.users.items()
    assert not others
    assert user_id == sub
    assert user == {"name": "Alice", "provider": "github"}
    assert index.status_code == 200 and page == "Hello, Alice."
    assert provider.resource_requests == 1  # the receiver's own API call


async def cancelled_app() -> Any:
    example = load_example("cancelled_login.py")
    return example.create_app(
        {
            "SECRET_KEY": "docs-test-secret",
            "OAUTH_PROVIDERS": {
                "github": {"client_id": "web-client", "client_secret": "web-secret"}
            },
        }
    )


async def callback_with(client: QuartClient, **params: str) -> Any:
    """Start a login, then come back from the provider with ``params`` (and the state)."""
    start = await client.get("/login/github")
    state = URL(start.headers["Location"]).query["state"]
    return await client.get("/login/github/authorized", query_string={"state": state, **params})


async def test_cancelled_login_goes_home_with_a_message() -> None:
    app = await cancelled_app()
    async with app.test_app() as test_app:
        client = test_app.test_client()
        response = await callback_with(client, error="access_denied")
        assert response.status_code == 302 and response.headers["Location"] == "/"
        home = await (await client.get("/")).get_data(as_text=True)
    assert "You cancelled the sign-in with github. Nothing was shared." in home


async def test_other_failed_logins_show_their_code() -> None:
    app = await cancelled_app()
    async with app.test_app() as test_app:
        client = test_app.test_client()
        refused = await callback_with(client, error="invalid_scope")
        refused_page = await refused.get_data(as_text=True)
        forged = await client.get(
            "/login/github/authorized", query_string={"code": "x", "state": "forged"}
        )
        forged_page = await forged.get_data(as_text=True)
    assert refused.status_code == 400
    assert "(github: invalid_scope)" in refused_page
    assert forged.status_code == 400
    assert "(github: state_mismatch)" in forged_page
