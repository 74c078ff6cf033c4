"""The provider tutorials (docs/examples/tutorials/*.py): the real providers' URLs in the
docs, the local providers' in the test; the user at the terminal is played by ``browser``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.docs.conftest import Authorize, load_example
from tests.fake_provider import oauth1
from tests.fake_provider.oauth2 import OAuth2Provider, running_provider
from tests.fake_provider.serving import TLS

CALLBACK = "https://127.0.0.1/callback"


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[OAuth2Provider]:
    async with running_provider(tls) as p:
        yield p


@pytest.fixture
async def provider1(tls: TLS) -> AsyncIterator[oauth1.OAuth1Provider]:
    async with oauth1.running_provider(tls) as p:
        yield p


def configure(name: str, monkeypatch: pytest.MonkeyPatch, **values: object) -> object:
    """Load a tutorial and replace its module constants (each must exist)."""
    module = load_example(name)
    for key, value in values.items():
        assert hasattr(module, key), f"{name}: {key}"
        monkeypatch.setattr(module, key, value)
    return module


@pytest.mark.parametrize(
    ("name", "resource", "extra"),
    [
        ("tutorials/github.py", "profile_url", {}),
        ("tutorials/google.py", "profile_url", {"redirect_uri": CALLBACK}),
        ("tutorials/facebook.py", "profile_url", {"redirect_uri": CALLBACK}),
        ("tutorials/linkedin.py", "profile_url", {}),
        ("tutorials/outlook.py", "calendars_url", {"redirect_uri": CALLBACK}),
    ],
)
async def test_oauth2_code_tutorials(
    provider: OAuth2Provider,
    browser: Authorize,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    resource: str,
    extra: dict[str, str],
) -> None:
    tutorial = configure(
        name,
        monkeypatch,
        client_id="web-client",
        client_secret="web-secret",
        authorization_base_url=provider.url("/authorize"),
        token_url=provider.url("/token"),
        **{resource: provider.url("/api/user")},
        **extra,
    )
    user = await tutorial.main(browser)  # type: ignore[attr-defined]
    assert user["sub"] == "alice"
    assert provider.grant_counts["authorization_code"] == 1


async def test_google_asks_for_offline_access(
    provider: OAuth2Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    async def authorize(url: str) -> str:
        seen.append(url)
        raise RuntimeError("stop")

    tutorial = configure(
        "tutorials/google.py", monkeypatch, authorization_base_url=provider.url("/authorize")
    )
    with pytest.raises(RuntimeError, match="stop"):
        await tutorial.main(authorize)  # type: ignore[attr-defined]
    assert "access_type=offline" in seen[0] and "prompt=select_account" in seen[0]


async def test_fitbit_mobile_tutorial(
    provider: OAuth2Provider, browser: Authorize, monkeypatch: pytest.MonkeyPatch
) -> None:
    tutorial = configure(
        "tutorials/fitbit.py",
        monkeypatch,
        client_id="public-client",
        authorization_base_url=provider.url("/authorize"),
        sleep_goal_url=provider.url("/api/user"),
    )
    token, body = await tutorial.main(browser)  # type: ignore[attr-defined]
    assert token["access_token"] and body["client_id"] == "public-client"


@pytest.mark.parametrize(
    ("name", "resource"),
    [("tutorials/bitbucket.py", "user_url"), ("tutorials/tumblr.py", "dashboard_url")],
)
async def test_oauth1_tutorials(
    provider1: oauth1.OAuth1Provider,
    browser: Authorize,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    resource: str,
) -> None:
    tutorial = configure(
        name,
        monkeypatch,
        key=oauth1.CLIENT_KEY,
        secret=oauth1.CLIENT_SECRET,
        callback_uri=CALLBACK,
        request_token_url=provider1.url("/oauth/request_token"),
        authorization_base_url=provider1.url("/oauth/authorize"),
        access_token_url=provider1.url("/oauth/access_token"),
        **{resource: provider1.url("/api/echo")},
    )
    echoed = await tutorial.main(browser)  # type: ignore[attr-defined]
    assert echoed["token"] in provider1.state.access_tokens
