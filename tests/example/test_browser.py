"""The same sign-in in a real browser: headless Chromium, driven by Playwright.

Skipped unless Playwright for Python and Chromium are installed (CI installs
the Debian ``chromium`` package and ``pip install playwright``; Playwright's
own browser download is never used). Saves a screenshot of the profile page
to ``docs/profile.png`` when that file is missing or ``UPDATE_SCREENSHOTS=1``,
so that ordinary test runs leave the work tree alone.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.example.conftest import RunningExample

# CI sets REQUIRE_BROWSER=1 (and installs both), so that there a missing
# browser fails the run instead of silently skipping the end-to-end test.
REQUIRED = os.environ.get("REQUIRE_BROWSER") == "1"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
if REQUIRED:
    import playwright.async_api as async_api
else:
    async_api = pytest.importorskip("playwright.async_api")
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

pytestmark = pytest.mark.skipif(
    not REQUIRED and not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"
)


async def test_sign_in_with_chromium(example: RunningExample, tmp_path: Path) -> None:
    async with async_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1000, "height": 700})
            await page.goto(str(example.app_url))
            await page.get_by_role("link", name="Sign in with Dev Provider").click()

            await page.get_by_label("User name").fill("ada.lovelace")
            await page.get_by_role("button", name="Sign in").click()
            await page.get_by_role("button", name="Allow").click()

            await page.wait_for_url(f"{example.app_url}/dev/profile")
            heading = page.get_by_role("heading", level=1)
            assert await heading.inner_text() == "Your Dev Provider profile"
            assert await page.locator(".profile .name").inner_text() == "Ada Lovelace"
            avatar = page.locator(".profile img")
            # naturalWidth > 0: the avatar really loaded from the dev provider
            assert await avatar.evaluate("img => img.naturalWidth") > 0

            shot = tmp_path / "profile.png"
            await page.screenshot(path=str(shot), full_page=True)
            assert shot.read_bytes().startswith(b"\x89PNG")
            if not SCREENSHOT.exists() or os.environ.get("UPDATE_SCREENSHOTS") == "1":
                SCREENSHOT.parent.mkdir(exist_ok=True)
                shutil.copyfile(shot, SCREENSHOT)

            await page.get_by_role("link", name="API call").click()
            await page.wait_for_url(f"{example.app_url}/dev/api")
            assert "lucky number" in await page.locator(".fortune figcaption").inner_text()
        finally:
            await browser.close()
