"""The profile page: the library's normalized profile, however the provider is set up."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tests.example.conftest import CLASSIC, DevSettings, running_example
from tests.example.test_login_flow import consent_page, decide

pytestmark = pytest.mark.usefixtures("insecure_transport")


def via_discovery(issuer: str, dev: dict[str, Any]) -> dict[str, Any]:
    """Like a discovery preset (google, gitlab, microsoft): no userinfo_url configured."""
    return {
        "client_id": dev["client_id"],
        "client_secret": dev["client_secret"],
        "server_metadata_url": f"{issuer}/.well-known/openid-configuration",
        "scope": dev["scope"],
    }


def without_userinfo(issuer: str, dev: dict[str, Any]) -> dict[str, Any]:
    """Plain OAuth 2 with no userinfo endpoint: nothing to read a profile from."""
    return {key: value for key, value in dev.items() if key != "userinfo_url"}


def broken_userinfo(issuer: str, dev: dict[str, Any]) -> dict[str, Any]:
    """A userinfo endpoint that answers 404."""
    return dev | {"userinfo_url": f"{issuer}/no-such-userinfo"}


async def profile_after_sign_in(
    browser: aiohttp.ClientSession,
    dev_settings: DevSettings,
    username: str = "ada.lovelace",
    env: dict[str, str] | None = None,
) -> tuple[int, str]:
    """Sign in with the dev provider set up by ``dev_settings``; the profile page it lands on."""
    async with running_example(dev_settings=dev_settings, env=env) as example:
        consent = await consent_page(browser, example, username)
        response = await decide(browser, example, consent, "allow")
        assert response.url == example.app_url.with_path("/dev/profile")
        return response.status, await response.text()


async def test_discovered_userinfo_endpoint(browser: aiohttp.ClientSession) -> None:
    # Google, GitLab, Microsoft and Apple presets configure no userinfo_url: the
    # endpoint comes from discovery, and the page used to show nothing for them.
    pytest.importorskip("joserfc")  # the dev provider signs ID tokens with it
    status, page = await profile_after_sign_in(browser, via_discovery)
    assert status == 200
    assert '<p class="name">Ada Lovelace</p>' in page
    assert "ada.lovelace@dev-provider.test" in page
    assert "<code>dev-ada.lovelace</code>" in page
    assert "No profile to show" not in page


async def test_no_userinfo_endpoint_says_so_kindly(browser: aiohttp.ClientSession) -> None:
    # The classic login: the modern one discovers the provider's userinfo endpoint.
    status, page = await profile_after_sign_in(browser, without_userinfo, env=CLASSIC)
    assert status == 200
    assert "No profile to show" in page
    assert "has no userinfo endpoint" in page
    assert 'href="/dev/token"' in page, "the other pages are still offered"


async def test_userinfo_error_is_the_provider_error_page(browser: aiohttp.ClientSession) -> None:
    # The classic login: the modern (OpenID, discovered) one fetches the userinfo
    # at the callback already, and fails the sign-in there.
    status, page = await profile_after_sign_in(browser, broken_userinfo, env=CLASSIC)
    assert status == 502
    assert "The provider could not be reached" in page
    assert "status 404" in page


async def test_revoked_token_asks_to_sign_in_again(
    browser: aiohttp.ClientSession,
) -> None:
    async with running_example() as example:
        consent = await consent_page(browser, example, "grace")
        await decide(browser, example, consent, "allow")
        store = example.provider.store
        (access,) = store.access_tokens.values()
        store.revoke_grant(access.grant_id)  # as if the user revoked the app at the provider
        async with browser.get(example.app_url.with_path("/dev/profile")) as response:
            page = await response.text()
    assert response.status == 401
    assert "Please sign in again" in page
    assert "no longer accepts the access token" in page
