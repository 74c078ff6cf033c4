"""The example's default dev login: pushed (PAR) and with DPoP-bound tokens, for real.

``python -m example_app`` signs in to its dev provider with PAR (RFC 9126) and
DPoP (RFC 9449), the provider requiring pushed requests and demanding DPoP
nonces; ``EXAMPLE_DEV_MODERN=0`` gives the classic Bearer login.
"""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from quart import Quart
from yarl import URL

from example_app.dev_provider.dpop import DPoPChecker, DPoPProofError
from example_app.extensions import oauth
from example_app.settings import ExampleSettings, dev_modern_from_env, dev_provider_settings
from quart_oauthlib import ConfigurationError, QuartOAuth
from tests.example.conftest import CLASSIC, RunningExample, form_field, running_example
from tests.example.test_login_flow import decide, open_page

pytestmark = pytest.mark.usefixtures("insecure_transport")

REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"


@dataclass
class ProofLog:
    """Every DPoP proof the dev provider checked: ``(method, url, with token, outcome)``."""

    checks: list[tuple[str, str, bool, str]] = field(default_factory=list)

    def record(self, checker: DPoPChecker, monkeypatch: pytest.MonkeyPatch) -> None:
        original = checker.check

        def check(proofs: list[str], *, method: str, url: str, **kwargs: Any) -> str:
            with_token = kwargs.get("access_token") is not None
            try:
                jkt = original(proofs, method=method, url=url, **kwargs)
            except DPoPProofError as e:
                self.checks.append((method, str(URL(url).with_query(None)), with_token, e.error))
                raise
            self.checks.append((method, str(URL(url).with_query(None)), with_token, "ok"))
            return jkt

        monkeypatch.setattr(checker, "check", check)

    def outcomes(self, method: str, url: URL, *, with_token: bool) -> list[str]:
        return [o for m, u, t, o in self.checks if (m, u, t) == (method, str(url), with_token)]


@pytest.fixture
async def modern() -> AsyncIterator[RunningExample]:
    async with running_example() as running:  # the default environment: no switch set
        yield running


def app_thumbprint(example: RunningExample) -> str:
    """The thumbprint of the DPoP key the example app holds for the dev provider."""
    key = oauth.provider("dev", example.servers.apps["app"]).dpop_key
    assert key is not None
    return str(key.thumbprint)


async def start_sign_in(
    browser: aiohttp.ClientSession, example: RunningExample, username: str
) -> tuple[URL, str]:
    """Press "Sign in with Dev Provider" and sign in there: the app's redirect and the consent."""
    # The profile page sends the browser to the app's login, which sends it on.
    async with browser.get(example.app_url.with_path("/dev/profile")) as response:
        assert response.status == 200, await response.text()
        hops = [URL(hop.headers["Location"]) for hop in response.history]
        login_page = await response.text()
    [redirect] = [hop for hop in hops if hop.path == "/authorize"]  # where the app sent it
    form = {
        "username": username,
        "csrf_token": form_field(login_page, "csrf_token"),
        "next": form_field(login_page, "next"),
    }
    async with browser.post(response.url.with_query(None), data=form) as signed_in:
        assert signed_in.status == 200
        return redirect, await signed_in.text()


async def test_default_login_is_pushed_and_the_token_dpop_bound(
    modern: RunningExample, browser: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = modern.provider
    assert provider.settings.require_par and provider.settings.dpop_nonce
    assert provider.dpop is not None
    proofs = ProofLog()
    proofs.record(provider.dpop, monkeypatch)
    jkt = app_thumbprint(modern)

    redirect, consent = await start_sign_in(browser, modern, "ada.lovelace")
    # Pushed: the browser carried nothing but the client id and the request_uri...
    assert redirect.origin() == modern.provider_url and redirect.path == "/authorize"
    assert set(redirect.query) == {"client_id", "request_uri"}
    request_uri = redirect.query["request_uri"]
    assert request_uri.startswith(REQUEST_URI_PREFIX)
    # ... and the provider holds what the app pushed, the code bound to the app's key.
    pushed = provider.store.pushed[request_uri]
    assert pushed.client_id == "quart-oauthlib-example"
    assert pushed.params["dpop_jkt"] == jkt
    assert pushed.params["code_challenge_method"] == "S256"
    assert {"state", "nonce", "redirect_uri", "scope"} <= set(pushed.params)
    assert "Allow <em>quart-oauthlib example</em>" in consent

    response = await decide(browser, modern, consent, "allow")
    assert response.url == modern.app_url.with_path("/dev/profile")
    profile = await response.text()
    assert "Signed in with Dev Provider." in profile
    assert '<p class="name">Ada Lovelace</p>' in profile
    assert f"DPoP, bound to key <code>{jkt[:12]}&hellip;</code>" in profile
    assert '<dd class="pushed">yes' in profile
    # The code exchange was proved with the app's key, after the nonce challenge.
    token_url = modern.provider_url.with_path("/token")
    assert proofs.outcomes("POST", token_url, with_token=False) == ["use_dpop_nonce", "ok"]

    # The provider issued a DPoP-bound token, and only to the app's key.
    [(access_token, record)] = provider.store.access_tokens.items()
    assert record.jkt == jkt
    assert oauth.provider("dev", modern.servers.apps["app"]).par is True

    fortune_url = modern.provider_url.with_path("/api/fortune")
    checked = len(proofs.outcomes("GET", fortune_url, with_token=True))
    _, api = await open_page(browser, modern.app_url.with_path("/dev/api"))
    assert "Your fortune cookie" in api
    assert f"DPoP, bound to key <code>{jkt[:12]}&hellip;</code>" in api
    # The API call sent the token as DPoP with a proof (ath included) that checked out.
    assert proofs.outcomes("GET", fortune_url, with_token=True)[checked:][-1] == "ok"

    # The token alone is useless: as a Bearer token, or as DPoP without a proof.
    async with aiohttp.ClientSession() as thief:
        bearer = {"Authorization": f"Bearer {access_token}"}
        async with thief.get(fortune_url, headers=bearer) as refused:
            assert refused.status == 401
            assert refused.headers["WWW-Authenticate"].startswith("DPoP ")
            assert "send it as DPoP" in html.unescape(refused.headers["WWW-Authenticate"])
        no_proof = {"Authorization": f"DPoP {access_token}"}
        async with thief.get(fortune_url, headers=no_proof) as refused:
            assert refused.status == 401


async def test_refresh_keeps_the_token_bound(
    modern: RunningExample, browser: aiohttp.ClientSession
) -> None:
    jkt = app_thumbprint(modern)
    _, consent = await start_sign_in(browser, modern, "grace")
    await decide(browser, modern, consent, "allow")
    token_url = modern.app_url.with_path("/dev/token")
    _, page = await open_page(browser, token_url)
    assert "<dt>Type</dt><dd>DPoP</dd>" in page
    async with browser.post(modern.app_url.with_path("/dev/token/refresh")) as response:
        assert response.status == 200
        assert response.url == token_url
        page = await response.text()
    assert "Got a new access token from Dev Provider" in page
    assert f"DPoP, bound to key <code>{jkt[:12]}&hellip;</code>" in page
    active = [t for t in modern.provider.store.access_tokens.values() if not t.revoked]
    assert len(active) == 2 and all(t.jkt == jkt for t in active)
    _, api = await open_page(browser, modern.app_url.with_path("/dev/api"))
    assert "Your fortune cookie" in api  # the refreshed token, sent with a proof


async def test_the_switch_gives_the_classic_bearer_login(browser: aiohttp.ClientSession) -> None:
    async with running_example(env=CLASSIC) as classic:
        assert not classic.servers.settings.dev_modern
        assert not classic.provider.settings.require_par
        assert not classic.provider.settings.dpop_nonce
        redirect, consent = await start_sign_in(browser, classic, "ada")
        assert "request_uri" not in redirect.query
        assert {"response_type", "code_challenge", "state", "redirect_uri"} <= set(redirect.query)
        response = await decide(browser, classic, consent, "allow")
        profile = await response.text()
        assert "Bearer <span" in profile and "not bound to a key" in profile
        assert '<dd class="pushed">no' in profile
        [(access_token, record)] = classic.provider.store.access_tokens.items()
        assert record.jkt is None
        # A Bearer token works for whoever holds it: what DPoP prevents.
        async with aiohttp.ClientSession() as other:
            bearer = {"Authorization": f"Bearer {access_token}"}
            fortune_url = classic.provider_url.with_path("/api/fortune")
            async with other.get(fortune_url, headers=bearer) as answer:
                assert answer.status == 200


@pytest.mark.parametrize(
    ("value", "modern"),
    [(None, True), ("1", True), ("0", False), ("false", False), (" Off ", False), ("yes", True)],
)
def test_the_switch_reads_the_environment(value: str | None, modern: bool) -> None:
    env = {} if value is None else {"EXAMPLE_DEV_MODERN": value}
    assert dev_modern_from_env(env) is modern
    settings = ExampleSettings.build(env, dev_provider_url="http://127.0.0.1:5001")
    assert settings.dev_modern is modern
    assert ("par" in settings.providers["dev"]) is modern


def test_a_shared_store_does_not_stop_the_modern_example() -> None:
    # The example passes its DPoP key as dpop_key, so init_app's check for shared
    # stores (several workers need one key) is met; a generated key would trip it.
    from quart_oauthlib.storage.sqla import SQLTokenStore

    settings = dev_provider_settings("http://127.0.0.1:5001")
    assert settings["dpop_key"]["d"], "a private key"
    store = SQLTokenStore("sqlite+aiosqlite:///:memory:")
    app = Quart(__name__)
    app.config.update(OAUTH_PROVIDERS={"dev": settings}, OAUTH_TOKEN_STORE=store)
    QuartOAuth().init_app(app)

    generated = {key: value for key, value in settings.items() if key != "dpop_key"}
    app = Quart(__name__)
    app.config.update(OAUTH_PROVIDERS={"dev": generated}, OAUTH_TOKEN_STORE=store)
    with pytest.raises(ConfigurationError, match="dpop_key"):
        QuartOAuth().init_app(app)


def test_each_start_makes_a_new_key() -> None:
    first = dev_provider_settings("http://127.0.0.1:5001")["dpop_key"]
    second = dev_provider_settings("http://127.0.0.1:5001")["dpop_key"]
    assert first["kty"] == "EC" and first["crv"] == "P-256"
    assert first["d"] != second["d"]


async def test_a_spent_request_uri_shows_its_answer_only_to_who_answered(
    modern: RunningExample, browser: aiohttp.ClientSession
) -> None:
    redirect, consent = await start_sign_in(browser, modern, "grace")
    denied = await decide(browser, modern, consent, "deny")
    assert denied.status == 403  # the app's "You chose not to sign in"
    # Back to the spent request_uri: this browser sees how it answered, and a second
    # answer issues nothing.
    async with browser.get(redirect) as again:
        assert again.status == 409
        assert "You already denied this request" in await again.text()
    allowed = await decide(browser, modern, consent, "allow")
    assert allowed.status == 409
    assert not modern.provider.store.codes
    # Anyone else presenting it gets the provider's error page.
    async with aiohttp.ClientSession() as other:
        async with other.get(redirect) as refused:
            assert refused.status == 400
            assert "invalid_request_uri" in await refused.text()
