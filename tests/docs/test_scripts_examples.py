"""The "Scripts and command-line tools" guide's examples, run against a local provider."""

from __future__ import annotations

import urllib.request
import webbrowser
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from quart_oauthlib import OAuth2Session
from tests.docs.conftest import load_example
from tests.fake_provider.native import (
    DEVICE_GRANT,
    EXCHANGE_GRANT,
    NativeProvider,
    running_native_provider,
)
from tests.fake_provider.serving import TLS


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[NativeProvider]:
    async with running_native_provider(tls, client_id="my-client-id") as p:
        yield p


async def test_first_example_signs_in_with_the_browser_and_calls_the_api(
    provider: NativeProvider,
    tls: TLS,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    example = load_example("script_login.py")
    monkeypatch.setattr(example, "AUTHORIZE_URL", provider.url("/authorize"))
    monkeypatch.setattr(example, "TOKEN_URL", provider.url("/token"))
    monkeypatch.setattr(example, "API_URL", provider.url("/userinfo"))
    pages: list[bytes] = []

    def system_browser(url: str) -> bool:
        """Stands in for webbrowser.open (it runs in a thread): follow the redirects."""
        with urllib.request.urlopen(url, context=tls.client_context, timeout=10) as page:  # noqa: S310 -- https to the test provider
            pages.append(page.read())
        return True

    monkeypatch.setattr(webbrowser, "open", system_browser)
    await example.main()
    out, err = capsys.readouterr()
    assert "Ada Lovelace" in out
    assert provider.url("/authorize") in err  # the URL is printed too
    assert b"close this window" in pages[0]


async def test_token_cache_example(
    provider: NativeProvider, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    example = load_example("script_token_cache.py")
    monkeypatch.setattr(example, "DEVICE_URL", provider.url("/device"))
    monkeypatch.setattr(example, "TOKEN_URL", provider.url("/token"))
    monkeypatch.setattr(example, "API_URL", provider.url("/userinfo"))
    monkeypatch.setattr(example, "CACHE_FILE", str(tmp_path / "tokens.json"))
    assert (await example.main())["sub"] == "user-1"
    assert (await example.main())["sub"] == "user-1"  # from the cache
    assert len(provider.grants(DEVICE_GRANT)) == 1


async def test_register_example(
    provider: NativeProvider, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    example = load_example("script_register.py")
    monkeypatch.setattr(example, "REGISTRATION_URL", provider.url("/register"))
    client = await example.register()
    assert client.client_id.startswith("registered-") and client.client_secret is None
    assert provider.registrations[0]["client_name"] == "My command-line tool"
    assert client.registration_access_token not in capsys.readouterr().out


async def test_exchange_example(
    provider: NativeProvider, tls: TLS, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = load_example("script_exchange.py")
    monkeypatch.setattr(example, "TOKEN_URL", provider.url("/token"))
    async with OAuth2Session("my-client-id") as session:
        issued = await example.token_for_backend(session, provider.issue_access_token())
    assert issued["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
    (form,) = provider.grants(EXCHANGE_GRANT)
    assert form["resource"] == "https://backend.example/api" and form["scope"] == "read"
