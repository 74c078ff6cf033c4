"""RFC 8693 token exchange, RFC 7591 registration and RFC 8707 resource indicators,
against providers on 127.0.0.1 that check what the client sends."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from oauthlib.oauth2 import InvalidGrantError
from oauthlib.oauth2.rfc6749.errors import CustomOAuth2Error

from quart_oauthlib import OAuth2Session
from quart_oauthlib.client.registration import RegisteredClient, register_client
from quart_oauthlib.client.token_exchange import ACCESS_TOKEN_TYPE
from quart_oauthlib.errors import ConfigurationError, RegistrationError
from tests.fake_provider.native import (
    EXCHANGE_GRANT,
    NativeProvider,
    running_native_provider,
)
from tests.fake_provider.oauth2 import running_provider
from tests.fake_provider.serving import TLS


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[NativeProvider]:
    async with running_native_provider(tls, client_secret="exchange-secret") as p:
        yield p


def session(tls: TLS, client_id: str, **kwargs: object) -> OAuth2Session:
    return OAuth2Session(
        client_id,
        connector=aiohttp.TCPConnector(ssl=tls.client_context),
        **kwargs,  # type: ignore[arg-type]
    )


# -- token exchange ----------------------------------------------------------------------


async def test_exchange_token(provider: NativeProvider, tls: TLS) -> None:
    subject = provider.issue_access_token()
    actor = provider.issue_access_token()
    async with session(tls, provider.client_id, client_secret="exchange-secret") as oauth:
        oauth.token = {"access_token": "mine", "token_type": "Bearer"}
        issued = await oauth.exchange_token(
            provider.url("/token"),
            subject_token=subject,
            subject_token_type=ACCESS_TOKEN_TYPE,
            actor_token=actor,
            actor_token_type=ACCESS_TOKEN_TYPE,
            resource=["https://api.example/a", "https://api.example/b"],
            audience="backend",
            scope=["read", "write"],
            requested_token_type=ACCESS_TOKEN_TYPE,
        )
        assert oauth.token["access_token"] == "mine"  # the session keeps its own token
    assert issued["issued_token_type"] == ACCESS_TOKEN_TYPE and issued["access_token"]
    (form,) = provider.grants(EXCHANGE_GRANT)
    assert form["subject_token"] == subject
    assert form["subject_token_type"] == ACCESS_TOKEN_TYPE
    assert form["actor_token"] == actor and form["actor_token_type"] == ACCESS_TOKEN_TYPE
    assert form.getall("resource") == ["https://api.example/a", "https://api.example/b"]
    assert form.getall("audience") == ["backend"]
    assert form["scope"] == "read write"
    assert form["requested_token_type"] == ACCESS_TOKEN_TYPE
    assert "client_secret" not in form  # Basic


async def test_exchange_errors(provider: NativeProvider, tls: TLS) -> None:
    async with session(tls, provider.client_id, client_secret="exchange-secret") as oauth:
        with pytest.raises(InvalidGrantError):
            await oauth.exchange_token(
                provider.url("/token"),
                subject_token="unknown",
                subject_token_type=ACCESS_TOKEN_TYPE,
            )
        with pytest.raises(CustomOAuth2Error) as caught:
            await oauth.exchange_token(
                provider.url("/token"),
                subject_token=provider.issue_access_token(),
                subject_token_type=ACCESS_TOKEN_TYPE,
                resource="urn:not-https",
            )
        assert caught.value.error == "invalid_target"
        with pytest.raises(ValueError, match="actor_token_type"):
            await oauth.exchange_token(
                provider.url("/token"),
                subject_token="x",
                subject_token_type=ACCESS_TOKEN_TYPE,
                actor_token="y",
            )
        with pytest.raises(ConfigurationError):
            await oauth.exchange_token(
                provider.url("/token"),
                subject_token="x",
                subject_token_type=ACCESS_TOKEN_TYPE,
                resource="relative/path",
            )


# -- registration ------------------------------------------------------------------------


async def test_register_client(
    provider: NativeProvider, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    provider.initial_access_token = "initial-token"
    caplog.set_level(logging.DEBUG)
    metadata = {
        "client_name": "my tool",
        "redirect_uris": ["http://127.0.0.1/callback"],
        "grant_types": ["authorization_code", "refresh_token"],
    }
    client = await register_client(
        provider.url("/register"),
        metadata,
        initial_access_token="initial-token",
        session=http,
    )
    assert provider.registrations == [metadata]
    assert isinstance(client, RegisteredClient)
    assert client.client_id.startswith("registered-")
    assert client.client_secret and client.client_secret.startswith("registered-secret-")
    assert client.client_secret_expires_at == 0
    assert client.client_id_issued_at == 1_700_000_000
    assert client.registration_access_token
    assert client.metadata["client_name"] == "my tool"
    shown = repr(client)
    assert client.client_id in shown
    assert client.client_secret not in shown and client.registration_access_token not in shown
    assert client.client_secret not in caplog.text


async def test_register_public_client(
    provider: NativeProvider, http: aiohttp.ClientSession
) -> None:
    client = await register_client(
        provider.url("/register"),
        {"redirect_uris": ["http://127.0.0.1/cb"], "token_endpoint_auth_method": "none"},
        session=http,
    )
    assert client.client_secret is None and client.client_secret_expires_at is None


async def test_registration_refused(provider: NativeProvider, http: aiohttp.ClientSession) -> None:
    with pytest.raises(RegistrationError) as caught:
        await register_client(
            provider.url("/register"), {"redirect_uris": ["http://evil.example/"]}, session=http
        )
    assert caught.value.error == "invalid_redirect_uri" and caught.value.status == 400
    provider.initial_access_token = "needed"
    with pytest.raises(RegistrationError) as caught:
        await register_client(
            provider.url("/register"), {"redirect_uris": ["https://ok.example/"]}, session=http
        )
    assert caught.value.error == "invalid_token"


async def test_registration_answer_without_client_id(tls: TLS) -> None:
    with pytest.raises(RegistrationError, match="client_id"):
        RegisteredClient.from_answer({"client_secret": "x"})
    with pytest.raises(RegistrationError, match="integer"):
        RegisteredClient.from_answer({"client_id": "x", "client_secret_expires_at": "soon"})


# -- RFC 8707 resource indicators --------------------------------------------------------


async def test_resource_on_authorization_token_and_refresh(
    tls: TLS, http: aiohttp.ClientSession
) -> None:
    async with running_native_provider(tls) as provider:
        resources = ["https://api.example/a", "https://api.example/b"]
        async with session(
            tls, provider.client_id, pkce="S256", redirect_uri="http://127.0.0.1/callback"
        ) as oauth:
            url, _ = oauth.authorization_url(provider.url("/authorize"), resource=resources)
            assert parse_qs(urlsplit(url).query)["resource"] == resources
            async with http.get(url, allow_redirects=False) as resp:
                callback = resp.headers["Location"]
            code = parse_qs(urlsplit(callback).query)["code"][0]
            await oauth.fetch_token(provider.url("/token"), code=code, resource=resources)
            await oauth.refresh_token(provider.url("/token"), resource="https://api.example/a")
        code_form, refresh_form = provider.forms
        assert code_form.getall("resource") == resources
        assert refresh_form.getall("resource") == ["https://api.example/a"]
        assert refresh_form["client_id"] == provider.client_id  # a public client says who it is


async def test_single_resource_against_the_oauthlib_provider(
    tls: TLS, http: aiohttp.ClientSession
) -> None:
    """oauthlib's server side accepts the extra parameter on every request."""
    async with running_provider(tls) as provider:
        async with session(tls, "web-client", redirect_uri="https://127.0.0.1/callback") as oauth:
            url, _ = oauth.authorization_url(
                provider.url("/authorize"), resource="https://api.example/"
            )
            async with http.get(url, allow_redirects=False) as resp:
                callback = resp.headers["Location"]
            token = await oauth.fetch_token(
                provider.url("/token"),
                authorization_response=callback,
                client_secret="web-secret",
                resource="https://api.example/",
            )
            assert token["access_token"]


def test_resource_must_be_absolute(tls: TLS) -> None:
    oauth = OAuth2Session("c")
    for bad in ("api", "https://api.example/#frag", ["https://ok.example/", "nope"]):
        with pytest.raises(ConfigurationError):
            oauth.authorization_url("https://provider.example/authorize", resource=bad)
