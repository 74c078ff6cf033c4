"""An Authlib app, ported: its registry, settings and own login views run our checked flow."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from oauthlib.oauth2 import InsecureTransportError
from quart import Quart, redirect, session, url_for
from yarl import URL

from quart_oauthlib import (
    CallbackError,
    ConfigurationError,
    MemoryTokenStore,
    QuartOAuth,
    StateMismatchError,
    oauth_authorized,
    token_updated,
)
from quart_oauthlib.providers import PRESETS
from quart_oauthlib.providers.settings import resolve_provider
from quart_oauthlib.testing import FakeProvider
from quart_oauthlib.testing.pytest_plugin import fake_provider

__all__ = ["fake_provider"]


def resolve(name: str, **settings: Any) -> Any:
    return resolve_provider(name, settings, PRESETS, insecure_transport=False)


# -- settings ---------------------------------------------------------------------------


def test_authlib_settings_are_understood() -> None:
    config = resolve(
        "myapp",
        client_id="id",
        client_secret="secret",
        authorize_url="https://idp.example/authorize",
        access_token_url="https://idp.example/token",
        api_base_url="https://api.idp.example/",
        client_kwargs={
            "scope": "openid email",
            "token_endpoint_auth_method": "client_secret_post",
            "code_challenge_method": "S256",
        },
    )
    assert config.token_url == "https://idp.example/token"
    assert config.refresh_url == "https://idp.example/token"
    assert config.scope == ("openid", "email")
    assert config.token_endpoint_auth_method == "client_secret_post"
    assert config.pkce == "S256"
    assert config.api_base_url == "https://api.idp.example/"


def test_access_token_url_keeps_its_oauth1_meaning() -> None:
    config = resolve(
        "plurk",
        client_id="k",
        client_secret="s",
        request_token_url="https://p.example/rt",
        authorize_url="https://p.example/a",
        access_token_url="https://p.example/at",
    )
    assert config.version == 1
    assert config.access_token_url == "https://p.example/at"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"client_kwargs": {"timeout": 5}}, r"client_kwargs\['timeout'\].*OAUTH_HTTP_TIMEOUT"),
        ({"client_kwargs": {"verify": False}}, r"OAUTH_CA_BUNDLE"),
        ({"client_kwargs": {"proxies": {}}}, r"session_factory"),
        ({"client_kwargs": {"token_placement": "uri"}}, r"userinfo_token"),
        ({"client_kwargs": {"bogus": 1}}, r"may hold are code_challenge_method, scope"),
        ({"client_kwargs": "scope"}, r"client_kwargs must be a dict"),
        ({"fetch_token": lambda: None}, r"OAUTH_TOKEN_STORE"),
        (
            {"access_token_url": "https://a/t", "token_url": "https://b/t"},
            r"both 'access_token_url' and 'token_url' are set",
        ),
        ({"update_token": "nope"}, r"update_token must be a callable"),
        ({"update_token": lambda token: None}, r"update_token must accept"),
    ],
)
def test_foreign_settings_refused_by_name(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as caught:
        resolve("github", client_id="id", client_secret="s", **settings)
    assert "client_key" not in str(caught.value)


def test_missing_token_url_names_the_key_not_61_presets() -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve("myapp", client_id="id", client_secret="s", authorize_url="https://i.example/a")
    text = str(caught.value)
    assert "missing 'token_url'" in text and "access_token_url" in text
    assert "github" not in text and "zoom" not in text  # no list of every preset
    with pytest.raises(ConfigurationError, match="did you mean preset 'github'"):
        resolve("githb", client_id="id", client_secret="s")


def test_flask_dance_names_are_understood() -> None:
    config = resolve(
        "corp",
        client_id="id",
        client_secret="s",
        authorization_url="https://c.example/authorize",
        token_url="https://c.example/token",
        base_url="https://api.c.example/",
    )
    assert config.authorize_url == "https://c.example/authorize"
    assert config.api_base_url == "https://api.c.example/"


# -- the app --------------------------------------------------------------------------


def authlib_app(
    fake: FakeProvider, name: str = "google", **settings: Any
) -> tuple[Quart, QuartOAuth]:
    """The shape of Authlib's Flask example, ported to Quart."""
    app = Quart(__name__)
    app.config["SECRET_KEY"] = "k"
    oauth = QuartOAuth(store=MemoryTokenStore())
    oauth.init_app(app)
    oauth.register(name, **{**fake.settings_for(name), **settings})

    @app.route("/login")
    async def login() -> Any:
        return await oauth.create_client(name).authorize_redirect(
            url_for("auth", _external=True), login_hint="alice@example.org"
        )

    @app.route("/auth")
    async def auth() -> Any:
        client = getattr(oauth, name)
        token = await client.authorize_access_token()
        session["user"] = token.get("userinfo")
        if "userinfo" in token:  # older Authlib apps ask for the claims this way
            assert await client.parse_id_token(token, nonce="ignored") == token["userinfo"]
        return redirect("/")

    @app.route("/")
    async def home() -> Any:
        client = oauth[name]
        return {"user": session.get("user"), "authorized": client.authorized}

    return app, oauth


async def visit(url: str) -> URL:
    async with aiohttp.ClientSession() as http:
        async with http.get(url, allow_redirects=False) as resp:
            assert resp.status == 302, await resp.text()
            return URL(resp.headers["Location"])


async def test_own_login_views_run_the_checked_flow(fake_provider: FakeProvider) -> None:
    app, oauth = authlib_app(fake_provider)
    seen: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        seen.append(kwargs)

    oauth_authorized.connect(receiver)
    try:
        async with app.test_app() as test_app:
            client = test_app.test_client()
            start = await client.get("/login")
            assert start.status_code == 302
            query = URL(start.headers["Location"]).query
            assert query["redirect_uri"] == "http://localhost/auth"
            assert query["login_hint"] == "alice@example.org"
            assert query["code_challenge_method"] == "S256" and query["nonce"] and query["state"]
            back = await visit(start.headers["Location"])
            assert back.path == "/auth"
            done = await client.get(back.path, query_string=dict(back.query))
            assert done.status_code == 302, await done.get_data(as_text=True)
            home = await (await client.get("/")).get_json()
            assert home["authorized"] is True
            assert home["user"]["sub"] == "alice" and home["user"]["email"] == "alice@example.org"
            # the same answer again: the state was single use
            replay = await client.get(back.path, query_string=dict(back.query))
            assert replay.status_code == 400
    finally:
        oauth_authorized.disconnect(receiver)
    assert len(seen) == 1 and seen[0]["id_token_claims"]["sub"] == "alice"


async def test_a_forged_callback_raises_and_stores_nothing(fake_provider: FakeProvider) -> None:
    app, oauth = authlib_app(fake_provider)
    caught: list[Exception] = []

    @app.errorhandler(CallbackError)
    async def handle(error: CallbackError) -> Any:
        caught.append(error)
        return {"error": error.error}, 400

    async with app.test_app() as test_app:
        client = test_app.test_client()
        start = await client.get("/login")
        back = await visit(start.headers["Location"])
        forged = {**back.query, "state": "not-the-state"}
        answer = await client.get(back.path, query_string=forged)
        assert answer.status_code == 400
        assert (await (await client.get("/")).get_json())["authorized"] is False
    assert isinstance(caught[0], StateMismatchError)


async def test_authorize_redirect_defaults_to_the_builtin_callback(
    fake_provider: FakeProvider,
) -> None:
    app, oauth = authlib_app(fake_provider, "github")

    @app.route("/go")
    async def go() -> Any:
        return await oauth.github.authorize_redirect()

    async with app.test_app() as test_app:
        client = test_app.test_client()
        start = await client.get("/go")
        assert URL(start.headers["Location"]).query["redirect_uri"] == url_for_callback("github")
        back = await visit(start.headers["Location"])
        done = await client.get(back.path, query_string=dict(back.query))
        assert done.status_code == 302 and done.headers["Location"] == "/"
        assert (await (await client.get("/")).get_json())["authorized"] is True


def url_for_callback(name: str) -> str:
    return f"http://localhost/login/{name}/authorized"


async def test_reserved_parameters_are_refused(fake_provider: FakeProvider) -> None:
    app, oauth = authlib_app(fake_provider, "github")
    async with app.test_app(), app.test_request_context("/"):
        with pytest.raises(ConfigurationError, match="state"):
            await oauth.github.authorize_redirect(state="mine")
        with pytest.raises(ConfigurationError, match="takes no arguments"):
            await oauth.github.authorize_access_token(code="x")
        with pytest.raises(ConfigurationError, match="OpenID login"):
            await oauth.github.parse_id_token({"access_token": "x"})


@pytest.mark.parametrize("is_async", [False, True])
async def test_update_token_after_a_refresh(fake_provider: FakeProvider, is_async: bool) -> None:
    calls: list[tuple[dict[str, Any], str | None, str | None]] = []
    signals: list[str] = []

    def update_token(
        token: dict[str, Any], refresh_token: str | None = None, access_token: str | None = None
    ) -> None:
        calls.append((token, refresh_token, access_token))

    async def update_token_async(
        token: dict[str, Any], refresh_token: str | None = None, access_token: str | None = None
    ) -> None:
        update_token(token, refresh_token, access_token)

    app, oauth = authlib_app(
        fake_provider, "github", update_token=update_token_async if is_async else update_token
    )

    @app.route("/renew")
    async def renew() -> Any:
        old = dict(await oauth.github.load_token() or {})
        new = await oauth.github.renew_token()
        return {"old": old.get("refresh_token"), "new": new["access_token"]}

    def on_updated(sender: Any, **kwargs: Any) -> None:
        signals.append(kwargs["provider"])

    token_updated.connect(on_updated)
    try:
        async with app.test_app() as test_app:
            client = test_app.test_client()
            await fake_provider.login(client, "github")
            body = await (await client.get("/renew")).get_json()
    finally:
        token_updated.disconnect(on_updated)
    assert signals == ["github"]
    ((token, refresh_token, access_token),) = calls
    assert token["access_token"] == body["new"]
    assert refresh_token == body["old"] and access_token is None


async def test_update_token_once_for_concurrent_refreshes(fake_provider: FakeProvider) -> None:
    """The refresh coordinator refreshes once for requests racing: update_token hears of it once."""
    calls: list[tuple[str | None, str | None]] = []

    def update_token(
        token: dict[str, Any], refresh_token: str | None = None, access_token: str | None = None
    ) -> None:
        calls.append((refresh_token, token["access_token"]))

    fake_provider.access_token_lifetime = 1
    app, oauth = authlib_app(fake_provider, "github", update_token=update_token)

    @app.route("/api")
    async def api() -> Any:
        async with oauth.github.get("user") as resp:  # relative: api_base_url
            return {"status": resp.status, "token": oauth.github.access_token}

    async with app.test_app() as test_app:
        client = test_app.test_client()
        await fake_provider.login(client, "github")
        await asyncio.sleep(2.1)  # expired, even if expires_at was rounded up
        answers = await asyncio.gather(*(client.get("/api") for _ in range(4)))
        bodies = [await answer.get_json() for answer in answers]
    assert [body["status"] for body in bodies] == [200] * 4
    ((replaced, new),) = calls
    assert replaced is not None and {body["token"] for body in bodies} == {new}


async def test_register_reads_credentials_from_config(fake_provider: FakeProvider) -> None:
    settings = fake_provider.settings_for("github")
    app = Quart(__name__)
    app.config.update(
        SECRET_KEY="k",
        GITHUB_CLIENT_ID=settings.pop("client_id"),
        GITHUB_CLIENT_SECRET=settings.pop("client_secret"),
    )
    oauth = QuartOAuth()
    github = oauth.register("github", **settings)  # before init_app, as Authlib apps may
    oauth.init_app(app)
    oauth.register("github", **{**settings, "api_base_url": "https://elsewhere.invalid/"})
    assert oauth._registered["github"]["api_base_url"] == settings["api_base_url"]  # kept

    @app.route("/")
    async def home() -> Any:
        if not github.authorized:
            return redirect(url_for("github.login"))
        resp = await github.get("user")
        assert resp.ok
        return await resp.json()

    async with app.test_app() as test_app:
        client = test_app.test_client()
        assert (await client.get("/")).headers["Location"] == "/login/github"
        await fake_provider.login(client, "github")
        assert (await (await client.get("/")).get_json())["path"] == "/user"


async def test_register_after_init_app_adds_the_routes(fake_provider: FakeProvider) -> None:
    app, oauth = authlib_app(fake_provider, "github")
    async with app.test_app() as test_app:
        client = test_app.test_client()
        assert (await client.get("/login/google")).status_code == 404
        oauth.register("google", **fake_provider.settings_for("google"))
        assert "google" in app.extensions["quart_oauthlib"].providers
        done = await fake_provider.login(client, "google")
        assert done.status_code == 302, await done.get_data(as_text=True)
        oauth.register("google", overwrite=True, **fake_provider.settings_for("google"))
        assert (await client.get("/login/google")).status_code == 302


async def test_requests_with_an_explicit_token(
    fake_provider: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Authlib's docs: ``token = authorize_access_token(); get("user", token=token)``."""
    app, oauth = authlib_app(fake_provider, "github")

    @app.route("/github-auth")
    async def github_auth() -> Any:
        token = await oauth.github.authorize_access_token()
        resp = await oauth.github.get("user", token=token)
        return {"ok": resp.ok, "body": await resp.json()}

    @app.route("/go")
    async def go() -> Any:
        return await oauth.github.authorize_redirect(url_for("github_auth", _external=True))

    async with app.test_app() as test_app:
        client = test_app.test_client()
        back = await visit((await client.get("/go")).headers["Location"])
        body = await (await client.get(back.path, query_string=dict(back.query))).get_json()
        assert body["ok"] is True and body["body"]["path"] == "/user"
        async with app.test_request_context("/"):
            with pytest.raises(ConfigurationError, match="Bearer token dict"):
                oauth.github.get("user", token={"token_type": "mac", "access_token": "x"})
            monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT")
            with pytest.raises(InsecureTransportError):
                oauth.github.get("user", token={"access_token": "x"})
