"""A whole sign-in with the example app and its dev provider, as a browser does it."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from yarl import URL

from tests.example.conftest import (
    RunningExample,
    form_action,
    form_field,
    link,
    running_example,
)


async def open_page(browser: aiohttp.ClientSession, url: URL | str) -> tuple[URL, str]:
    async with browser.get(url) as response:
        assert response.status == 200, await response.text()
        return response.url, await response.text()


async def consent_page(
    browser: aiohttp.ClientSession, example: RunningExample, username: str
) -> str:
    """From the home page to the dev provider's consent page, signing in as ``username``."""
    _, home = await open_page(browser, example.app_url)
    sign_in = link(home, "Sign in with Dev Provider")
    # The app sends the browser to the provider, which asks who we are first.
    login_url, login_page = await open_page(browser, example.app_url.join(URL(sign_in)))
    assert login_url.origin() == example.provider_url
    assert login_url.path == "/login"
    form = {
        "username": username,
        "csrf_token": form_field(login_page, "csrf_token"),
        "next": form_field(login_page, "next"),
    }
    async with browser.post(login_url.with_query(None), data=form) as response:
        assert response.status == 200
        assert response.url.path == "/authorize"
        return await response.text()


async def decide(
    browser: aiohttp.ClientSession, example: RunningExample, consent: str, decision: str
) -> aiohttp.ClientResponse:
    action = form_action(consent, "decision")
    form = {"csrf_token": form_field(consent, "csrf_token"), "decision": decision}
    async with browser.post(example.provider_url.join(URL(action)), data=form) as response:
        await response.read()
        return response


async def test_sign_in_profile_api_refresh_and_sign_out(
    example: RunningExample, browser: aiohttp.ClientSession
) -> None:
    consent = await consent_page(browser, example, "ada.lovelace")
    assert "Allow <em>quart-oauthlib example</em>" in consent
    assert "Read your fortune cookies" in consent

    # Allow: back to the app's callback, which stores the token and goes on to the profile.
    response = await decide(browser, example, consent, "allow")
    assert response.status == 200
    assert response.url == example.app_url.with_path("/dev/profile")
    profile = await response.text()
    assert "Signed in with Dev Provider." in profile
    # The normalized quart_oauthlib.Profile: name, e-mail (verified), id and avatar...
    assert '<p class="name">Ada Lovelace</p>' in profile
    assert "ada.lovelace@dev-provider.test" in profile
    assert '<span class="badge verified">verified</span>' in profile
    assert "<code>dev-ada.lovelace</code>" in profile
    assert f'<img src="{example.provider_url}/avatar/ada.lovelace.svg"' in profile
    # ... and, folded away, every claim the provider sent.
    assert '"preferred_username": "ada.lovelace"' in profile

    _, api = await open_page(browser, example.app_url.with_path("/dev/api"))
    assert "Your fortune cookie" in api
    assert "lucky number" in api

    _, token_page = await open_page(browser, example.app_url.with_path("/dev/token"))
    assert '<code class="scope">fortune</code>' in token_page
    assert "Refresh now" in token_page
    store = example.provider.store
    (first_access,) = store.access_tokens
    assert first_access not in token_page, "the token page never shows the token"

    async with browser.post(example.app_url.with_path("/dev/token/refresh")) as response:
        assert response.status == 200
        assert response.url.path == "/dev/token"
        assert "Got a new access token from Dev Provider" in await response.text()
    assert len(store.access_tokens) == 2
    assert [r.rotated for r in store.refresh_tokens.values()] == [True, False]

    # The new token works: the API page still answers.
    await open_page(browser, example.app_url.with_path("/dev/api"))

    async with browser.post(
        example.app_url.with_path("/logout/dev"), data={"next": "/"}
    ) as response:
        assert response.status == 200
        assert response.url == example.app_url.with_path("/")
        assert "Sign in with Dev Provider" in await response.text()
    # Signing out revoked the grant at the provider.
    assert all(r.revoked for r in store.refresh_tokens.values())
    assert store.active_access_token(list(store.access_tokens)[-1]) is None
    async with browser.get(
        example.app_url.with_path("/dev/profile"), allow_redirects=False
    ) as response:
        assert response.status == 302  # @oauth.require sends us to sign in again


async def test_deny_lands_on_the_friendly_error_page(
    example: RunningExample, browser: aiohttp.ClientSession
) -> None:
    consent = await consent_page(browser, example, "grace")
    response = await decide(browser, example, consent, "deny")
    assert response.status == 403
    assert response.url.path == "/login/dev/authorized"
    page = await response.text()
    assert "You chose not to sign in" in page
    assert "nothing was shared with this app" in page
    assert "Try again with Dev Provider" in page
    assert not example.provider.store.access_tokens


async def test_a_replayed_callback_is_refused_kindly(
    example: RunningExample, browser: aiohttp.ClientSession
) -> None:
    consent = await consent_page(browser, example, "mallory")
    response = await decide(browser, example, consent, "allow")
    callback = next(r.url for r in response.history if r.url.path == "/login/dev/authorized")
    async with browser.get(callback) as replay:
        assert replay.status == 400
        page = await replay.text()
    assert "This sign-in link is not valid here" in page
    assert "Start the sign-in again" in page


@pytest.mark.usefixtures("insecure_transport")
async def test_an_expiring_token_is_refreshed_on_the_next_call(
    browser: aiohttp.ClientSession,
) -> None:
    # 4 s tokens: the extension refreshes a quarter of the lifetime (1 s) before expiry,
    # so after 3 s, give or take the half second oauthlib's rounding of expires_at adds.
    async with running_example(token_lifetime=4) as example:
        consent = await consent_page(browser, example, "ada")
        await decide(browser, example, consent, "allow")
        await asyncio.sleep(3.6)
        _, api = await open_page(browser, example.app_url.with_path("/dev/api"))
        assert "Got a new access token from Dev Provider" in api
        assert "lucky number" in api
        refreshes = [r for r in example.provider.store.refresh_tokens.values() if r.rotated]
        assert len(refreshes) == 1
