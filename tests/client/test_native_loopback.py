"""RFC 8252 loopback logins against the oauthlib-based provider on 127.0.0.1.

The "browser" is an aiohttp session that follows the provider's redirect to
the loopback listener (the provider approves without a page), or headless
Chromium in ``test_login_in_chromium``.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from quart_oauthlib import OAuth2Session
from quart_oauthlib.client.native import LoopbackListener
from quart_oauthlib.errors import (
    AuthorizationError,
    CallbackStateError,
    IssuerMismatchError,
    LoginDeniedError,
    LoginTimeoutError,
)
from tests.fake_provider.native import running_native_provider
from tests.fake_provider.oauth2 import OAuth2Provider, running_provider
from tests.fake_provider.serving import TLS


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[OAuth2Provider]:
    async with running_provider(tls, require_pkce=True) as p:
        yield p


def session(tls: TLS, client_id: str = "public-client", **kwargs: object) -> OAuth2Session:
    return OAuth2Session(
        client_id,
        scope=["read"],
        connector=aiohttp.TCPConnector(ssl=tls.client_context),
        **kwargs,  # type: ignore[arg-type]
    )


def assert_port_free(port: int) -> None:
    """Listening on the port works: nothing listens there any more."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen()


def redirect_port(authorization_url: str) -> int:
    redirect_uri = parse_qs(urlsplit(authorization_url).query)["redirect_uri"][0]
    port = urlsplit(redirect_uri).port
    assert port is not None
    return port


class Browser:
    """Plays the user's browser: follows the provider's redirects to the loopback callback."""

    def __init__(self, http: aiohttp.ClientSession):
        self.http = http
        self.urls: list[str] = []
        self.pages: list[tuple[int, str]] = []

    async def __call__(self, url: str) -> None:
        self.urls.append(url)
        async with self.http.get(url) as resp:
            self.pages.append((resp.status, await resp.text()))


async def test_login_with_browser_gets_a_token(
    provider: OAuth2Provider, tls: TLS, http: aiohttp.ClientSession
) -> None:
    browser = Browser(http)
    async with session(tls) as oauth:
        token = await oauth.login_with_browser(
            provider.url("/authorize"), provider.url("/token"), open_browser=browser, timeout=10
        )
        assert token["access_token"] and oauth.authorized
        async with oauth.get(provider.url("/api/user")) as resp:
            assert (await resp.json())["sub"] == "alice"
        assert oauth.redirect_uri is None  # the loopback URI was for this login only
    (url,) = browser.urls
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"][0].startswith("http://127.0.0.1:")
    assert query["redirect_uri"][0].endswith("/callback")
    assert browser.pages[0][0] == 200 and "close this window" in browser.pages[0][1]
    assert provider.token_requests[-1]["client_auth"] == "none"
    assert_port_free(redirect_port(url))


async def test_confidential_client_and_resource(
    provider: OAuth2Provider, tls: TLS, http: aiohttp.ClientSession
) -> None:
    browser = Browser(http)
    async with session(tls, "web-client", client_secret="web-secret") as oauth:
        await oauth.login_with_browser(
            provider.url("/authorize"),
            provider.url("/token"),
            open_browser=browser,
            authorization_params={"resource": ["https://api.example/a", "https://api.example/b"]},
            timeout=10,
        )
    query = parse_qs(urlsplit(browser.urls[0]).query)
    assert query["resource"] == ["https://api.example/a", "https://api.example/b"]
    assert provider.token_requests[-1]["client_auth"] == "client_secret_basic"


async def test_fixed_port(provider: OAuth2Provider, tls: TLS, http: aiohttp.ClientSession) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    browser = Browser(http)
    async with session(tls) as oauth:
        await oauth.login_with_browser(
            provider.url("/authorize"),
            provider.url("/token"),
            open_browser=browser,
            port=port,
            timeout=10,
        )
    assert redirect_port(browser.urls[0]) == port
    assert_port_free(port)


async def test_error_answer_raises_login_denied(
    provider: OAuth2Provider, tls: TLS, http: aiohttp.ClientSession
) -> None:
    browser = Browser(http)
    async with session(tls) as oauth:
        with pytest.raises(LoginDeniedError) as caught:
            await oauth.login_with_browser(
                provider.url("/authorize"),
                provider.url("/token"),
                open_browser=browser,
                authorization_params={"deny": "1"},
                timeout=10,
            )
    assert caught.value.error == "access_denied"
    assert isinstance(caught.value, AuthorizationError)
    assert browser.pages[0][0] == 400
    assert provider.grant_counts["authorization_code"] == 0
    assert_port_free(redirect_port(browser.urls[0]))


async def test_wrong_state_raises_and_exchanges_nothing(
    provider: OAuth2Provider, tls: TLS, http: aiohttp.ClientSession
) -> None:
    seen: list[str] = []

    async def forged(url: str) -> None:
        seen.append(url)
        redirect_uri = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        async with http.get(redirect_uri, params={"code": "stolen", "state": "forged"}) as resp:
            assert resp.status == 400

    async with session(tls) as oauth:
        with pytest.raises(CallbackStateError):
            await oauth.login_with_browser(
                provider.url("/authorize"),
                provider.url("/token"),
                open_browser=forged,
                timeout=10,
            )
    assert provider.token_requests == []
    assert_port_free(redirect_port(seen[0]))


async def test_timeout_closes_the_port(provider: OAuth2Provider, tls: TLS) -> None:
    seen: list[str] = []
    async with session(tls) as oauth:
        with pytest.raises(LoginTimeoutError):
            await oauth.login_with_browser(
                provider.url("/authorize"),
                provider.url("/token"),
                open_browser=seen.append,
                timeout=0.2,
            )
    assert_port_free(redirect_port(seen[0]))


async def test_cancellation_closes_the_port(provider: OAuth2Provider, tls: TLS) -> None:
    opened: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    async with session(tls) as oauth:
        login = asyncio.create_task(
            oauth.login_with_browser(
                provider.url("/authorize"), provider.url("/token"), open_browser=opened.set_result
            )
        )
        url = await asyncio.wait_for(opened, 5)
        port = redirect_port(url)
        with pytest.raises(OSError):  # listening now
            assert_port_free(port)
        login.cancel()
        with pytest.raises(asyncio.CancelledError):
            await login
    assert_port_free(port)


async def test_browser_that_fails_to_open_does_not_stop_the_login(
    provider: OAuth2Provider,
    tls: TLS,
    http: aiohttp.ClientSession,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The URL is printed: the user opens it by hand (here: another task plays that user)."""
    browser = Browser(http)

    async def broken(url: str) -> None:
        asyncio.get_running_loop().call_later(0.05, lambda: asyncio.ensure_future(browser(url)))
        raise RuntimeError("no browser here")

    async with session(tls) as oauth:
        token = await oauth.login_with_browser(
            provider.url("/authorize"), provider.url("/token"), open_browser=broken, timeout=10
        )
    assert token["access_token"]
    assert browser.urls[0] in capsys.readouterr().err


# -- the listener itself -----------------------------------------------------------------


async def test_second_callback_is_refused(http: aiohttp.ClientSession) -> None:
    async with LoopbackListener("the-state") as listener:
        params = {"code": "c1", "state": "the-state"}
        async with http.get(listener.redirect_uri, params=params) as first:
            assert first.status == 200
            assert first.headers["Cache-Control"] == "no-store"
            assert first.headers["Referrer-Policy"] == "no-referrer"
        async with http.get(listener.redirect_uri, params={**params, "code": "c2"}) as second:
            assert second.status == 409
        assert (await listener.wait(1))["code"] == "c1"


async def test_only_the_callback_path_is_served(http: aiohttp.ClientSession) -> None:
    async with LoopbackListener("s", path="/cb") as listener:
        base = listener.redirect_uri.removesuffix("/cb")
        for path in ("/", "/callback", "/cb/x", "/favicon.ico"):
            async with http.get(base + path, params={"state": "s", "code": "c"}) as resp:
                assert resp.status == 404, path
        async with http.post(listener.redirect_uri, data={"state": "s", "code": "c"}) as resp:
            assert resp.status == 405
        # DNS rebinding: a page under another name cannot reach the callback.
        headers = {"Host": "evil.example"}
        async with http.get(
            listener.redirect_uri, params={"state": "s", "code": "c"}, headers=headers
        ) as resp:
            assert resp.status == 421
        async with http.get(listener.redirect_uri, params={"state": "s", "code": "c"}) as resp:
            assert resp.status == 200
        assert (await listener.wait(1))["code"] == "c"


async def test_callback_without_code_or_error(http: aiohttp.ClientSession) -> None:
    async with LoopbackListener("s") as listener:
        async with http.get(listener.redirect_uri, params={"state": "s"}) as resp:
            assert resp.status == 400
        with pytest.raises(AuthorizationError):
            await listener.wait(1)


async def test_iss_of_another_provider_is_refused(http: aiohttp.ClientSession) -> None:
    """RFC 9207: a mix-up attack brings another provider's code back; iss tells."""
    issuer = "https://right.example"
    async with LoopbackListener("s", issuer=issuer) as listener:
        params = {"state": "s", "code": "c", "iss": "https://evil.example"}
        async with http.get(listener.redirect_uri, params=params) as resp:
            assert resp.status == 400
        with pytest.raises(IssuerMismatchError):
            await listener.wait(1)
    async with LoopbackListener("s", issuer=issuer, require_iss=True) as listener:
        async with http.get(listener.redirect_uri, params={"state": "s", "code": "c"}) as resp:
            assert resp.status == 400
        with pytest.raises(IssuerMismatchError, match="missing"):
            await listener.wait(1)
    async with LoopbackListener("s", issuer=issuer) as listener:  # iss is optional here
        async with http.get(listener.redirect_uri, params={"state": "s", "code": "c"}) as resp:
            assert resp.status == 200
        assert (await listener.wait(1))["code"] == "c"


async def test_login_checks_iss_end_to_end(tls: TLS, http: aiohttp.ClientSession) -> None:
    async with running_native_provider(tls, send_iss=True) as provider:
        browser = Browser(http)
        async with OAuth2Session(
            provider.client_id, connector=aiohttp.TCPConnector(ssl=tls.client_context)
        ) as oauth:
            token = await oauth.login_with_browser(
                provider.url("/authorize"),
                provider.url("/token"),
                open_browser=browser,
                issuer=provider.issuer,
                require_iss=True,
                timeout=10,
            )
        assert token["access_token"] in provider.access_tokens
        async with OAuth2Session(
            provider.client_id, connector=aiohttp.TCPConnector(ssl=tls.client_context)
        ) as oauth:
            with pytest.raises(IssuerMismatchError):
                await oauth.login_with_browser(
                    provider.url("/authorize"),
                    provider.url("/token"),
                    open_browser=browser,
                    issuer="https://another.example",
                    timeout=10,
                )
        assert len(provider.grants("authorization_code")) == 1


async def test_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError):
            async with LoopbackListener("s", port=taken.getsockname()[1]):
                pass


# -- a real browser ----------------------------------------------------------------------

REQUIRED = os.environ.get("REQUIRE_BROWSER") == "1"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]


@pytest.mark.skipif(
    not REQUIRED and not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"
)
async def test_login_in_chromium(provider: OAuth2Provider, tls: TLS) -> None:
    if REQUIRED:
        import playwright.async_api as async_api
    else:
        async_api = pytest.importorskip("playwright.async_api")
    async with asyncio.timeout(60), async_api.async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            # The provider's certificate comes from the tests' own CA.
            context = await chromium.new_context(ignore_https_errors=True)
            context.set_default_timeout(10_000)
            page = await context.new_page()

            async def open_in_chromium(url: str) -> None:
                await page.goto(url)

            async with session(tls) as oauth:
                token = await oauth.login_with_browser(
                    provider.url("/authorize"),
                    provider.url("/token"),
                    open_browser=open_in_chromium,
                    timeout=30,
                )
            assert token["access_token"]
            await page.wait_for_load_state()
            assert page.url.startswith("http://127.0.0.1:")
            assert "/callback?" in page.url
            assert "close this window" in await page.content()
            port = urlsplit(page.url).port
            assert port is not None
            assert_port_free(port)
        finally:
            await chromium.close()
