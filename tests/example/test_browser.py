"""The example in a real browser: headless Chromium, driven by Playwright.

Sign in with the development provider (the login form, then consent), the
profile page, the API page, "Refresh now" on the token page, and signing out;
the "Deny" path, which ends on the friendly error page (and Back from there
finds the request answered); the app's own 404 and 405 pages, and both icons.

Skipped unless Playwright for Python and Chromium are installed (CI installs
the Debian ``chromium`` package and ``pip install playwright``; Playwright's
own browser download is never used). Saves a screenshot of the profile page
to ``docs/profile.png`` when that file is missing or ``UPDATE_SCREENSHOTS=1``,
so that ordinary test runs leave the work tree alone.

Every step waits for something explicit (a URL, a selector, a navigation),
never for a fixed time, and every wait is bounded: a hung step fails within
seconds, and a whole test within :data:`TEST_TIMEOUT`.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.example.conftest import RunningExample

if TYPE_CHECKING:
    from playwright.async_api import Page

# CI sets REQUIRE_BROWSER=1 (and installs both), so that there a missing
# browser fails the run instead of silently skipping the end-to-end test.
REQUIRED = os.environ.get("REQUIRE_BROWSER") == "1"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
if REQUIRED:
    import playwright.async_api as async_api
else:
    async_api = pytest.importorskip("playwright.async_api")
expect = async_api.expect

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "profile.png"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Milliseconds any one step (a click, a navigation, an assertion) may take.
STEP_TIMEOUT = 10_000
#: Seconds a whole test may take, browser start included.
TEST_TIMEOUT = 60

pytestmark = pytest.mark.skipif(
    not REQUIRED and not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"
)


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    """A fresh page in headless Chromium (its own cookies), with bounded waits."""
    async with async_api.async_playwright() as playwright:
        browser = await asyncio.wait_for(
            playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS), TEST_TIMEOUT
        )
        try:
            context = await browser.new_context(viewport={"width": 1000, "height": 700})
            context.set_default_timeout(STEP_TIMEOUT)
            context.set_default_navigation_timeout(STEP_TIMEOUT)
            expect.set_options(timeout=STEP_TIMEOUT)
            yield await context.new_page()
        finally:
            await browser.close()


async def sign_in_at_the_dev_provider(page: Page, example: RunningExample, username: str) -> None:
    """From the home page through the dev provider's login form, to its consent page."""
    await page.goto(str(example.app_url))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Sign in with OAuth 2")
    await page.get_by_role("link", name="Sign in with Dev Provider").click()

    # The app sends the browser to the provider, which asks who we are first.
    await page.wait_for_url(re.compile(rf"^{re.escape(str(example.provider_url))}/login\?"))
    await page.get_by_label("User name").fill(username)
    await page.get_by_role("button", name="Sign in").click()

    await page.wait_for_url(re.compile(rf"^{re.escape(str(example.provider_url))}/authorize\?"))
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Allow quart-oauthlib example to use your account?"
    )


async def test_sign_in_profile_api_refresh_and_sign_out(
    example: RunningExample, page: Page, tmp_path: Path
) -> None:
    async with asyncio.timeout(TEST_TIMEOUT):
        app = str(example.app_url)
        store = example.provider.store
        await sign_in_at_the_dev_provider(page, example, "ada.lovelace")
        await page.get_by_role("button", name="Allow").click()

        # Back through the app's callback, to the profile page the sign-in started for.
        await page.wait_for_url(f"{app}/dev/profile")
        await expect(page.get_by_role("status")).to_have_text("Signed in with Dev Provider.")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Your Dev Provider profile")
        await expect(page.locator(".profile .name")).to_have_text("Ada Lovelace")
        await expect(page.locator(".profile .email")).to_contain_text(
            "ada.lovelace@dev-provider.test"
        )
        await expect(page.locator(".profile .id")).to_have_text("dev-ada.lovelace")
        # naturalWidth > 0: the avatar really loaded from the dev provider
        await page.wait_for_function(
            "() => { const img = document.querySelector('.profile img');"
            " return img !== null && img.complete && img.naturalWidth > 0; }"
        )
        raw = page.locator("details.raw pre")
        await expect(raw).to_be_hidden()  # folded away at first

        shot = tmp_path / "profile.png"
        await page.screenshot(path=str(shot), full_page=True)
        assert shot.read_bytes().startswith(b"\x89PNG")
        if not SCREENSHOT.exists() or os.environ.get("UPDATE_SCREENSHOTS") == "1":
            SCREENSHOT.parent.mkdir(exist_ok=True)
            shutil.copyfile(shot, SCREENSHOT)

        await page.locator("details.raw summary").click()
        await expect(raw).to_be_visible()
        await expect(raw).to_contain_text('"preferred_username": "ada.lovelace"')

        # The API page: a call to the provider's API with the user's token.
        await page.get_by_role("link", name="API call").click()
        await page.wait_for_url(f"{app}/dev/api")
        await expect(page.locator(".fortune figcaption")).to_contain_text("for Ada Lovelace")
        await expect(page.locator(".fortune figcaption")).to_contain_text("lucky number")

        # The token page: "Refresh now" gets a new access token at once.
        await page.get_by_role("link", name="Token").click()
        await page.wait_for_url(f"{app}/dev/token")
        await expect(page.locator(".token .expiry")).to_contain_text(re.compile(r"in \d+ min"))
        assert len(store.access_tokens) == 1
        async with page.expect_navigation(url=f"{app}/dev/token") as navigation:
            await page.get_by_role("button", name="Refresh now").click()
        response = await navigation.value
        assert response is not None
        assert response.status == 200
        await expect(page.get_by_role("status")).to_have_text(
            re.compile(r"^Got a new access token from Dev Provider; it expires in \d+ min")
        )
        await expect(page.locator(".token .expiry")).to_contain_text(
            re.compile(r"in \d+ min \d+ s \(\d\d:\d\d:\d\d UTC\)")
        )
        assert len(store.access_tokens) == 2, "the provider issued a second access token"
        assert [r.rotated for r in store.refresh_tokens.values()] == [True, False]

        # Sign out: the token is revoked, and the home page offers to sign in again.
        await page.get_by_role("button", name="Revoke and sign out").click()
        await page.wait_for_url(f"{app}/")
        card = page.locator(".provider", has_text="Dev Provider")
        await expect(card.get_by_role("link", name="Sign in with Dev Provider")).to_be_visible()
        await expect(card.locator(".status")).to_have_count(0)  # no "Signed in"
        assert all(r.revoked for r in store.refresh_tokens.values())

        # Signed out for real: the profile page sends the browser to the provider again.
        await page.goto(f"{app}/dev/profile")
        await page.wait_for_url(re.compile(rf"^{re.escape(str(example.provider_url))}/authorize\?"))


async def test_deny_at_consent_ends_on_the_friendly_error_page(
    example: RunningExample, page: Page
) -> None:
    async with asyncio.timeout(TEST_TIMEOUT):
        await sign_in_at_the_dev_provider(page, example, "grace")
        async with page.expect_navigation(
            url=re.compile(rf"^{re.escape(str(example.app_url))}/login/dev/authorized\?")
        ) as navigation:
            await page.get_by_role("button", name="Deny").click()
        response = await navigation.value
        assert response is not None
        assert response.status == 403

        await expect(page.get_by_role("heading", level=1)).to_have_text("You chose not to sign in")
        await expect(page.locator(".problem")).to_contain_text("nothing was shared with this app")
        await expect(page.get_by_role("link", name="Try again with Dev Provider")).to_be_visible()
        assert not example.provider.store.access_tokens

        # Back, to the consent page: the provider says it was denied, and does not ask
        # again (which, on Allow, ended on "this login was already answered").
        provider = str(example.provider_url)
        response = await page.go_back()
        assert response is not None
        assert response.url.startswith(f"{provider}/authorize?")
        assert response.status == 409
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            "You already denied this request"
        )
        await expect(page.get_by_role("button", name="Allow")).to_have_count(0)
        await page.get_by_role("link", name="Back to quart-oauthlib example").click()
        await page.wait_for_url(f"{example.app_url}/")
        assert not example.provider.store.codes

        # Home still shows the sign-in button: nothing was stored.
        await expect(page.get_by_role("link", name="Sign in with Dev Provider")).to_be_visible()


async def icon_loads(page: Page) -> bool:
    """Whether the page's ``<link rel="icon">`` is an image the browser can draw."""
    loaded: bool = await page.evaluate(
        """() => new Promise((resolve) => {
            const link = document.querySelector('link[rel="icon"]');
            if (link === null) { resolve(false); return; }
            const img = new Image();
            img.onload = () => resolve(img.naturalWidth > 0);
            img.onerror = () => resolve(false);
            img.src = link.href;
        })"""
    )
    return loaded


async def test_error_pages_and_icons_in_the_apps_look(example: RunningExample, page: Page) -> None:
    async with asyncio.timeout(TEST_TIMEOUT):
        app, provider = str(example.app_url), str(example.provider_url)
        await page.goto(app)
        assert await icon_loads(page)

        response = await page.goto(f"{app}/nope")
        assert response is not None
        assert response.status == 404
        await expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
        await expect(page.locator("header.site")).to_be_visible()

        response = await page.goto(f"{app}/login/nope")
        assert response is not None
        assert response.status == 404
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            "No provider called “nope” here"
        )

        # A GET of the sign-out URL (a link someone wrote): the button that works.
        response = await page.goto(f"{app}/logout/dev")
        assert response is not None
        assert response.status == 405
        await expect(page.get_by_role("heading", level=1)).to_have_text("Sign out with the button")
        await page.get_by_role("button", name="Sign out of Dev Provider").click()
        await page.wait_for_url(f"{app}/")

        await page.goto(provider)
        assert await icon_loads(page)
        response = await page.goto(f"{provider}/nope")
        assert response is not None
        assert response.status == 404
        await expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
        await expect(page.get_by_role("note")).to_contain_text("for development only")
