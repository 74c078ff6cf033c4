"""Options requests-oauthlib users pass, timeouts that say what ran out, sessions made
with raise_for_status=True, public clients' refreshes, and requests-oauthlib's state."""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from oauthlib.oauth2 import BackendApplicationClient, InvalidClientError

from quart_oauthlib import OAuth2Session, TokenRefreshError
from quart_oauthlib.client._transport import DEFAULT_TOKEN_TIMEOUT, requests_options
from quart_oauthlib.client.budget import time_budget
from quart_oauthlib.errors import DeadlineExceededError
from tests.fake_provider.oauth2 import OAuth2Provider, running_provider
from tests.fake_provider.serving import TLS


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[OAuth2Provider]:
    async with running_provider(tls) as p:
        yield p


def backend(tls: TLS | None = None, **kwargs: Any) -> OAuth2Session:
    if tls is not None:
        kwargs.setdefault("connector", aiohttp.TCPConnector(ssl=tls.client_context))
    return OAuth2Session(client=BackendApplicationClient("web-client"), **kwargs)


SECRET = "web-secret"  # noqa: S105 -- the fake provider's test client


# -- timeouts -------------------------------------------------------------------------


def test_the_token_call_defaults_to_ten_seconds() -> None:
    assert DEFAULT_TOKEN_TIMEOUT == 10.0


async def test_a_timeout_message_names_the_deadline_that_was_set(
    provider: OAuth2Provider, tls: TLS
) -> None:
    provider.quirks.slow_drip_seconds = 0.05
    async with backend(tls) as oauth:
        with pytest.raises(DeadlineExceededError, match=r"longer than 0\.3 s"):
            await oauth.fetch_token(provider.url("/token"), client_secret=SECRET, timeout=0.3)
    assert oauth.token == {}


async def test_a_timeout_of_the_http_session_is_named_as_such(
    provider: OAuth2Provider, tls: TLS
) -> None:
    provider.quirks.slow_drip_seconds = 0.05
    timeout = aiohttp.ClientTimeout(total=0.3)
    async with backend(tls, timeout=timeout) as oauth:
        with pytest.raises(DeadlineExceededError, match=r"own timeout \(total=0\.3 s") as e:
            await oauth.fetch_token(provider.url("/token"), client_secret=SECRET)
    assert "10" not in str(e.value) and "30" not in str(e.value)


async def test_a_time_budget_bounds_the_calls_inside_it(provider: OAuth2Provider, tls: TLS) -> None:
    provider.quirks.slow_drip_seconds = 0.05
    started = time.monotonic()
    async with backend(tls) as oauth:
        with time_budget(0.4), pytest.raises(DeadlineExceededError, match=r"0\.4 s time budget"):
            await oauth.fetch_token(provider.url("/token"), client_secret=SECRET)
    assert time.monotonic() - started < 3


def test_a_time_budget_nests_and_must_be_positive() -> None:
    from quart_oauthlib.client.budget import remaining

    assert remaining() is None
    with time_budget(5):
        with time_budget(60):
            left = remaining()
            assert left is not None and left <= 5
    with pytest.raises(ValueError, match="positive"):
        with time_budget(0):
            pass


# -- verify= and proxies= -------------------------------------------------------------


async def test_verify_false_turns_checks_off_and_is_no_form_field(
    provider: OAuth2Provider,
) -> None:
    async with backend() as oauth:  # trusts only the system CAs, not the test CA
        await oauth.fetch_token(provider.url("/token"), client_secret=SECRET, verify=False)
    assert "verify" not in provider.token_requests[-1]["fields"]


async def test_verify_path_trusts_that_bundle(provider: OAuth2Provider, tls: TLS) -> None:
    async with backend() as oauth:
        await oauth.fetch_token(
            provider.url("/token"), client_secret=SECRET, verify=tls.ca_pem_path
        )
    assert provider.token_requests[-1]["fields"] == ["grant_type"]


async def test_proxies_become_aiohttp_proxy_and_never_a_form_field(
    provider: OAuth2Provider, tls: TLS, caplog: pytest.LogCaptureFixture
) -> None:
    proxy = "http://user:proxy-password@127.0.0.1:9"  # nothing listens: the call must fail there
    with caplog.at_level(logging.DEBUG):
        async with backend(tls) as oauth:
            with pytest.raises(aiohttp.ClientProxyConnectionError):
                await oauth.fetch_token(
                    provider.url("/token"), client_secret=SECRET, proxies={"https": proxy}
                )
    assert provider.token_requests == []  # it went to the proxy, not to the provider
    assert "proxy-password" not in caplog.text
    async with backend(tls) as oauth:  # no proxy for this scheme: a direct call, as requests
        await oauth.fetch_token(
            provider.url("/token"), client_secret=SECRET, proxies={"http": proxy}
        )
    assert provider.token_requests[-1]["fields"] == ["grant_type"]


def test_options_without_an_aiohttp_equivalent_raise_type_error() -> None:
    url = "https://as.example/token"
    with pytest.raises(TypeError, match="verify"):
        requests_options({"verify": 42}, url, {})
    with pytest.raises(TypeError, match="proxies"):
        requests_options({"proxies": "http://proxy"}, url, {})
    with pytest.raises(TypeError, match="not both"):
        requests_options({"proxies": {"https": "http://p"}}, url, {"proxy": "http://q"})
    kwargs: dict[str, Any] = {"verify": True, "proxies": {"all": "http://p:1"}, "x": 1}
    assert requests_options(kwargs, url, {}) == {"proxy": "http://p:1"}
    assert kwargs == {"x": 1}


async def test_refresh_maps_verify_too(provider: OAuth2Provider) -> None:
    token = provider.issue_token()
    async with OAuth2Session("web-client", token=token, client_secret=SECRET) as oauth:
        await oauth.refresh_token(provider.url("/token"), verify=False)
    assert "verify" not in provider.token_requests[-1]["fields"]


# -- raise_for_status=True sessions -----------------------------------------------------


async def test_a_raise_for_status_session_keeps_errors_typed_and_headers_out(
    provider: OAuth2Provider, tls: TLS
) -> None:
    provider.quirks.fail_refresh_with = "invalid_grant"
    token = {**provider.issue_token(), "expires_at": time.time() - 10}
    connector = aiohttp.TCPConnector(ssl=tls.client_context)
    async with aiohttp.ClientSession(connector=connector, raise_for_status=True) as http:
        oauth = OAuth2Session(
            "web-client",
            token=token,
            client_secret=SECRET,
            auto_refresh_url=provider.url("/token"),
            token_updater=lambda t: None,
            session=http,
        )
        with pytest.raises(TokenRefreshError) as caught:
            await oauth.ensure_active_token()
        assert caught.value.needs_login
        shown = "".join(traceback.format_exception(caught.value))
        assert "Basic" not in shown and SECRET not in shown and "Authorization" not in shown
        with pytest.raises(InvalidClientError):
            await backend(session=http).fetch_token(provider.url("/token"), client_secret="nope")


# -- public clients, requests-oauthlib's state and auto_refresh_kwargs --------------------


async def test_a_public_client_sends_its_client_id_when_it_refreshes(
    provider: OAuth2Provider, tls: TLS
) -> None:
    token = {**provider.issue_token(client_id="public-client"), "expires_at": time.time() - 10}
    async with OAuth2Session(
        "public-client",
        token=token,
        auto_refresh_url=provider.url("/token"),
        token_updater=lambda t: None,
        connector=aiohttp.TCPConnector(ssl=tls.client_context),
    ) as oauth:
        await oauth.ensure_active_token()
        assert oauth.token["access_token"] != token["access_token"]
    request = provider.token_requests[-1]
    assert request["status"] == 200
    assert request["client_id"] == "public-client" and "client_secret" not in request["fields"]


def test_a_state_string_given_to_the_session_is_used() -> None:
    oauth = OAuth2Session("id", state="s", redirect_uri="https://app/cb")
    url, state = oauth.authorization_url("https://as.example/authorize")
    assert state == "s" and "state=s&" in url + "&"
    _, state = oauth.authorization_url("https://as.example/authorize", state="given")
    assert state == "given"


async def test_refresh_token_merges_auto_refresh_kwargs(provider: OAuth2Provider, tls: TLS) -> None:
    token = provider.issue_token()
    async with OAuth2Session(
        "web-client",
        token=token,
        auto_refresh_kwargs={"client_id": "web-client", "client_secret": SECRET},
        connector=aiohttp.TCPConnector(ssl=tls.client_context),
    ) as oauth:
        await oauth.refresh_token(provider.url("/token"))
    assert provider.token_requests[-1]["status"] == 200
    assert provider.token_requests[-1]["client_auth"] == "client_secret_post"


async def test_a_raise_for_status_session_keeps_oauth1_refusals_typed(tls: TLS) -> None:
    from quart_oauthlib import OAuth1Session, TokenRequestDenied
    from tests.fake_provider.oauth1 import CALLBACK, CLIENT_KEY
    from tests.fake_provider.oauth1 import running_provider as running_oauth1

    async with running_oauth1(tls) as provider:
        connector = aiohttp.TCPConnector(ssl=tls.client_context)
        async with aiohttp.ClientSession(connector=connector, raise_for_status=True) as http:
            oauth = OAuth1Session(
                CLIENT_KEY, client_secret="wrong", callback_uri=CALLBACK, session=http
            )
            with pytest.raises(TokenRequestDenied) as caught:
                await oauth.fetch_request_token(provider.url("/oauth/request_token"))
    assert caught.value.status_code == 401
    assert "oauth_signature" not in "".join(traceback.format_exception(caught.value))


async def test_a_raise_for_status_session_keeps_key_set_errors_typed(tls: TLS) -> None:
    from quart_oauthlib.client.oidc import JWKSCache
    from quart_oauthlib.errors import JWKSError
    from tests.fake_provider.oidc import running_oidc_provider

    async with running_oidc_provider(tls) as provider:
        provider.jwks_status = 500
        connector = aiohttp.TCPConnector(ssl=tls.client_context)
        async with aiohttp.ClientSession(connector=connector, raise_for_status=True) as http:
            jwks = JWKSCache(f"{provider.issuer}/jwks")
            with pytest.raises(JWKSError, match="status 500") as caught:
                await jwks.get_key(http, "any", "RS256")
    assert caught.value.status == 500
