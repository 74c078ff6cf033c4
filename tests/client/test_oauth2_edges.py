"""Broken, hostile and unusual providers; redirects; the OAuth2 middleware; logs."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from oauthlib.oauth2 import BackendApplicationClient, InsecureTransportError, TokenExpiredError
from yarl import URL

from quart_oauthlib import OAuth2, OAuth2Session, TokenResponseError
from quart_oauthlib.errors import DeadlineExceededError
from tests.fake_provider.oauth2 import OAuth2Provider, running_provider
from tests.fake_provider.serving import TLS


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[OAuth2Provider]:
    async with running_provider(tls) as p:
        yield p


def backend(tls: TLS, **kwargs: Any) -> OAuth2Session:
    return OAuth2Session(
        client=BackendApplicationClient(client_id="web-client"),
        client_secret="web-secret",
        connector=aiohttp.TCPConnector(ssl=tls.client_context),
        **kwargs,
    )


def other_origin(provider: OAuth2Provider, path: str) -> str:
    """The same server under another host name: a different origin."""
    return str(URL(provider.url(path)).with_host("localhost"))


async def test_granted_scope_differs_from_requested(provider: OAuth2Provider, tls: TLS) -> None:
    provider.quirks.scope_override = "read,write"  # GitHub answers with commas
    async with backend(tls, scope=["read"]) as oauth:
        token = await oauth.fetch_token(provider.url("/token"))
    assert token["scope"] == ["read", "write"]


async def test_form_encoded_token_answer(provider: OAuth2Provider, tls: TLS) -> None:
    provider.quirks.token_as_form = True
    async with backend(tls) as oauth:
        token = await oauth.fetch_token(provider.url("/token"))
    assert token["access_token"]


async def test_html_error_page_names_status_and_content_type(
    provider: OAuth2Provider, tls: TLS
) -> None:
    provider.quirks.html_error_status = 502
    async with backend(tls) as oauth:
        with pytest.raises(TokenResponseError) as caught:
            await oauth.fetch_token(provider.url("/token"))
    assert caught.value.status == 502
    assert caught.value.content_type == "text/html"
    assert "502" in str(caught.value) and "text/html" in str(caught.value)


async def test_answer_without_access_token(provider: OAuth2Provider, tls: TLS) -> None:
    provider.quirks.missing_access_token = True
    async with backend(tls) as oauth:
        with pytest.raises(TokenResponseError, match="no access_token") as caught:
            await oauth.fetch_token(provider.url("/token"))
        assert not oauth.authorized
    # The message lists the keys the answer had, never their values.
    assert "refresh_token" not in str(caught.value) or "=" not in str(caught.value)


async def test_unknown_token_type(provider: OAuth2Provider, tls: TLS) -> None:
    provider.quirks.token_type = "weird"
    async with backend(tls) as oauth:
        with pytest.raises(TokenResponseError, match="weird"):
            await oauth.fetch_token(provider.url("/token"))
        assert not oauth.authorized


async def test_huge_token_answer_is_refused(provider: OAuth2Provider, tls: TLS) -> None:
    provider.quirks.huge_body_bytes = 5 * 1024 * 1024
    async with backend(tls) as oauth:
        with pytest.raises(TokenResponseError, match="bytes"):
            await oauth.fetch_token(provider.url("/token"))


async def test_slow_drip_token_answer_hits_the_total_deadline(
    provider: OAuth2Provider, tls: TLS
) -> None:
    provider.quirks.slow_drip_seconds = 0.05
    async with backend(tls) as oauth:
        started = time.monotonic()
        with pytest.raises(DeadlineExceededError):
            await oauth.fetch_token(provider.url("/token"), timeout=0.5)
        assert time.monotonic() - started < 3


async def test_redirecting_token_endpoint_is_not_followed(
    provider: OAuth2Provider, tls: TLS
) -> None:
    provider.quirks.redirect_token_endpoint_to = other_origin(provider, "/token")
    async with backend(tls) as oauth:
        with pytest.raises(TokenResponseError, match="redirect"):
            await oauth.fetch_token(provider.url("/token"))
    assert provider.grant_counts["client_credentials"] == 0 or len(provider.token_requests) == 1


async def test_network_error_surfaces_as_aiohttp_error() -> None:
    with aioresponses() as mocked:
        mocked.post("https://provider.invalid/token", exception=aiohttp.ClientConnectionError())
        async with OAuth2Session(client=BackendApplicationClient("c"), client_secret="s") as oauth:
            with pytest.raises(aiohttp.ClientConnectionError):
                await oauth.fetch_token("https://provider.invalid/token")


async def test_plain_http_is_refused_unless_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)
    async with OAuth2Session("c", token={"access_token": "t", "token_type": "Bearer"}) as oauth:
        with pytest.raises(InsecureTransportError):
            await oauth.fetch_token("http://127.0.0.1:1/token", code="x")
        with pytest.raises(InsecureTransportError):
            await oauth.get("http://127.0.0.1:1/api")
        with pytest.raises(aiohttp.ClientConnectionError):  # withheld: plain request goes out
            await oauth.get("http://127.0.0.1:1/api", withhold_token=True)


async def test_session_drops_token_on_cross_origin_redirect(
    provider: OAuth2Provider, tls: TLS
) -> None:
    token = provider.issue_token()
    async with OAuth2Session(
        "web-client", token=token, connector=aiohttp.TCPConnector(ssl=tls.client_context)
    ) as oauth:
        away = provider.url("/redirect") + "?to=" + other_origin(provider, "/echo-headers")
        async with oauth.get(away) as resp:
            assert resp.url.host == "localhost"
            assert "Authorization" not in await resp.json()
        here = provider.url("/redirect") + "?to=" + provider.url("/echo-headers")
        async with oauth.get(here) as resp:
            assert (await resp.json())["Authorization"] == f"Bearer {token['access_token']}"


async def test_middleware_on_a_user_owned_session(provider: OAuth2Provider, tls: TLS) -> None:
    token = provider.issue_token()
    auth = OAuth2("web-client", token=token)
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=tls.client_context), middlewares=(auth,)
    ) as http:
        async with http.get(provider.url("/api/user")) as resp:
            assert resp.status == 200
        away = provider.url("/redirect") + "?to=" + other_origin(provider, "/echo-headers")
        async with http.get(away) as resp:
            assert "Authorization" not in await resp.json()
        here = provider.url("/redirect") + "?to=" + provider.url("/echo-headers")
        async with http.get(here) as resp:
            assert (await resp.json())["Authorization"] == f"Bearer {token['access_token']}"
        # A request made after a redirect chain is judged on its own origin again.
        async with http.get(other_origin(provider, "/echo-headers")) as resp:
            assert "Authorization" in await resp.json()
        auth.token = dict(token, expires_at=time.time() - 5)
        with pytest.raises(TokenExpiredError):
            await http.get(provider.url("/api/user"))


async def test_both_awaiting_and_async_with_give_the_response(
    provider: OAuth2Provider, tls: TLS
) -> None:
    async with OAuth2Session(
        "web-client",
        token=provider.issue_token(),
        connector=aiohttp.TCPConnector(ssl=tls.client_context),
    ) as oauth:
        resp = await oauth.get(provider.url("/api/user"))
        assert isinstance(resp, aiohttp.ClientResponse)
        assert (await resp.json())["sub"] == "alice"
        async with oauth.post(provider.url("/echo-headers"), data={"a": "1"}) as resp:
            assert resp.status == 200
        async with oauth.get(provider.url("/api/user"), withhold_token=True) as resp:
            assert resp.status == 401


async def test_borrowed_session_is_not_closed(provider: OAuth2Provider, tls: TLS) -> None:
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=tls.client_context)
    ) as http:
        async with OAuth2Session("web-client", token=provider.issue_token(), session=http) as oauth:
            async with oauth.get(provider.url("/api/user")) as resp:
                assert resp.status == 200
        assert not http.closed


async def test_compliance_hooks_run_in_order_and_may_be_async(
    provider: OAuth2Provider, tls: TLS
) -> None:
    calls: list[str] = []

    def first(response: Any) -> Any:
        calls.append("first")
        return response

    async def second(response: Any) -> Any:
        calls.append("second")
        return response

    def protected(url: str, headers: dict[str, str], data: Any) -> tuple[str, dict[str, str], Any]:
        calls.append("protected")
        headers["X-Hooked"] = "yes"
        return url, headers, data

    async with backend(tls) as oauth:
        oauth.register_compliance_hook("access_token_response", first)
        oauth.register_compliance_hook("access_token_response", second)
        oauth.register_compliance_hook("protected_request", protected)
        with pytest.raises(ValueError, match="not one of"):
            oauth.register_compliance_hook("nope", first)  # type: ignore[arg-type]
        await oauth.fetch_token(provider.url("/token"))
        async with oauth.get(provider.url("/echo-headers")) as resp:
            assert (await resp.json())["X-Hooked"] == "yes"
    assert calls == ["first", "second", "protected"]


async def test_no_secret_reaches_the_logs(
    provider: OAuth2Provider, tls: TLS, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    provider.quirks.refresh_delay_seconds = 0
    async with backend(
        tls, auto_refresh_url=provider.url("/token"), token_updater=lambda t: None
    ) as oauth:
        token = await oauth.fetch_token(provider.url("/token"))
        oauth.token = dict(token, expires_at=time.time() - 1)
        async with oauth.get(provider.url("/api/user")) as resp:
            assert resp.status == 200
        secrets = {"web-secret", token["access_token"], oauth.token["access_token"]}
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert caplog.records, "the flow should have logged something"
    for secret in secrets:
        assert secret not in text
