"""The client guide's examples (docs/examples/*.py), run against the local providers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.docs.conftest import Authorize, load_example
from tests.fake_provider import oauth1
from tests.fake_provider.oauth2 import OAuth2Provider, running_provider
from tests.fake_provider.serving import TLS

CALLBACK = "https://127.0.0.1/callback"


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[OAuth2Provider]:
    async with running_provider(tls) as p:
        yield p


@pytest.fixture(scope="module")
def rsa_keys() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public.decode()


@pytest.fixture
async def provider1(tls: TLS, rsa_keys: tuple[str, str]) -> AsyncIterator[oauth1.OAuth1Provider]:
    async with oauth1.running_provider(tls, rsa_public_key=rsa_keys[1]) as p:
        yield p


def point_at(module: Any, monkeypatch: pytest.MonkeyPatch, **urls: str) -> None:
    for name, url in urls.items():
        assert hasattr(module, name), name
        monkeypatch.setattr(module, name, url)


async def test_prompt_reads_the_redirect_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prompt = load_example("prompt.py")
    monkeypatch.setattr("builtins.input", lambda message: f"{CALLBACK}?code=x")
    assert await prompt.ask_user("https://provider.example/authorize") == f"{CALLBACK}?code=x"
    assert "https://provider.example/authorize" in capsys.readouterr().out


# -- OAuth 1 -------------------------------------------------------------------------


def oauth1_urls(provider: oauth1.OAuth1Provider) -> dict[str, str]:
    return {
        "request_token_url": provider.url("/oauth/request_token"),
        "base_authorization_url": provider.url("/oauth/authorize"),
        "access_token_url": provider.url("/oauth/access_token"),
        "protected_url": provider.url("/api/echo"),
    }


async def test_oauth1_session_workflow(
    provider1: oauth1.OAuth1Provider, browser: Authorize, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = load_example("oauth1_session.py")
    point_at(example, monkeypatch, **oauth1_urls(provider1))
    echoed = await example.oauth1_workflow(
        oauth1.CLIENT_KEY, oauth1.CLIENT_SECRET, CALLBACK, browser
    )
    assert echoed["signature_method"] == "HMAC-SHA1"
    assert echoed["token"] in provider1.state.access_tokens


async def test_oauth1_middleware_workflow(
    provider1: oauth1.OAuth1Provider, browser: Authorize, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = load_example("oauth1_middleware.py")
    point_at(example, monkeypatch, **oauth1_urls(provider1))
    async with aiohttp.ClientSession() as http:
        echoed = await example.oauth1_with_middleware(
            http, oauth1.CLIENT_KEY, oauth1.CLIENT_SECRET, CALLBACK, browser
        )
    assert echoed["token"] in provider1.state.access_tokens


async def test_oauth1_signature_placements_and_rsa(
    provider1: oauth1.OAuth1Provider, rsa_keys: tuple[str, str]
) -> None:
    example = load_example("oauth1_signatures.py")
    granted = provider1.grant()
    owner = granted["oauth_token"], granted["oauth_token_secret"]
    signers = example.placements(oauth1.CLIENT_KEY, oauth1.CLIENT_SECRET, *owner)
    rsa_granted = provider1.grant(oauth1.RSA_CLIENT_KEY)
    rsa_signer = example.rsa_signed(
        oauth1.RSA_CLIENT_KEY,
        rsa_keys[0],
        rsa_granted["oauth_token"],
        rsa_granted["oauth_token_secret"],
    )
    async with aiohttp.ClientSession() as http:
        for signer in [*signers, rsa_signer]:
            url = provider1.url("/api/echo")
            async with http.post(url, data={"status": "hi"}, middlewares=(signer,)) as resp:
                assert resp.status == 200, await resp.text()
    where = [seen for seen in provider1.seen[-4:]]
    assert "oauth_signature" in (where[0].authorization or "")
    assert "oauth_signature" in (where[1].query or "")
    assert "oauth_signature" in (where[2].body or "")
    assert "RSA-SHA1" in (where[3].authorization or "")


# -- OAuth 2: the four grants ----------------------------------------------------------


async def test_web_application_flow(
    tls: TLS, browser: Authorize, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_provider(tls, require_pkce=True) as provider:
        example = load_example("oauth2_web.py")
        point_at(
            example,
            monkeypatch,
            authorization_base_url=provider.url("/authorize"),
            token_url=provider.url("/token"),
            protected_url=provider.url("/api/user"),
        )
        user = await example.web_application_flow("web-client", "web-secret", browser)
    assert user["sub"] == "alice"
    assert provider.grant_counts["authorization_code"] == 1


async def test_mobile_application_flow(
    provider: OAuth2Provider, browser: Authorize, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = load_example("oauth2_mobile.py")
    point_at(
        example,
        monkeypatch,
        authorization_base_url=provider.url("/authorize"),
        protected_url=provider.url("/api/user"),
    )
    user = await example.mobile_application_flow("public-client", browser)
    assert user["client_id"] == "public-client"


async def test_legacy_application_flow(
    provider: OAuth2Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = load_example("oauth2_legacy.py")
    point_at(example, monkeypatch, token_url=provider.url("/token"))
    token = await example.legacy_application_flow("web-client", "web-secret", "alice", "wonderland")
    assert token["access_token"]
    assert provider.grant_counts["password"] == 1


async def test_backend_application_flow(
    provider: OAuth2Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = load_example("oauth2_backend.py")
    point_at(example, monkeypatch, token_url=provider.url("/token"))
    assert (await example.backend_application_flow("web-client", "web-secret"))["access_token"]
    assert provider.token_requests[-1]["client_auth"] == "client_secret_basic"
    token = await example.backend_application_flow_in_body("web-client", "web-secret")
    assert token["access_token"]
    assert provider.token_requests[-1]["client_auth"] == "client_secret_post"


# -- refreshing ----------------------------------------------------------------------


@pytest.mark.parametrize("style", ["first_style", "second_style", "third_style"])
async def test_refresh_styles(
    provider: OAuth2Provider, monkeypatch: pytest.MonkeyPatch, style: str
) -> None:
    example = load_example("refresh.py")
    point_at(
        example,
        monkeypatch,
        refresh_url=provider.url("/token"),
        protected_url=provider.url("/api/user"),
    )
    token = provider.issue_token()
    token["expires_in"] = "-30"  # the client believes it expired, as in the seed
    saved: list[dict[str, Any]] = []

    async def token_saver(new_token: dict[str, Any]) -> None:
        saved.append(new_token)

    extra = {"client_id": "web-client", "client_secret": "web-secret"}
    status = await getattr(example, style)("web-client", token, extra, token_saver)
    assert status == 200
    assert provider.grant_counts["refresh_token"] == 1
    assert len(saved) == 1 and saved[0]["access_token"] != token["access_token"]


async def test_tls_client_authentication(
    provider: OAuth2Provider, tls: TLS, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert = tls.ca.issue_cert("mtls-client")
    certfile, keyfile = f"{tmp_path}/client.pem", f"{tmp_path}/client-key.pem"
    cert.cert_chain_pems[0].write_to_path(certfile)
    cert.private_key_pem.write_to_path(keyfile)
    example = load_example("mtls.py")
    point_at(example, monkeypatch, token_url=provider.url("/token"))
    token = await example.fetch_with_certificate("mtls-client", certfile, keyfile)
    assert token["access_token"]
    assert provider.token_requests[-1]["client_auth"] == "tls_client_auth"
