"""Each OAuth 2 workflow of the seed docs (3.2.2-3.2.7), end to end against the
oauthlib-based provider on 127.0.0.1."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator

import aiohttp
import pytest
from oauthlib.oauth2 import (
    BackendApplicationClient,
    InvalidGrantError,
    LegacyApplicationClient,
    MismatchingStateError,
    MobileApplicationClient,
)

from quart_oauthlib import OAuth2Session
from tests.fake_provider.oauth2 import OAuth2Provider, running_provider
from tests.fake_provider.serving import TLS

REDIRECT_URI = "https://127.0.0.1/callback"


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[OAuth2Provider]:
    async with running_provider(tls) as p:
        yield p


def session(tls: TLS, *args: object, **kwargs: object) -> OAuth2Session:
    """An OAuth2Session whose own aiohttp session trusts the test CA."""
    return OAuth2Session(
        *args,  # type: ignore[arg-type]
        connector=aiohttp.TCPConnector(ssl=tls.client_context),
        **kwargs,  # type: ignore[arg-type]
    )


async def approve(http: aiohttp.ClientSession, authorization_url: str) -> str:
    """Play the browser: open the authorization URL, return where it redirects."""
    async with http.get(authorization_url, allow_redirects=False) as resp:
        assert resp.status == 302, await resp.text()
        return resp.headers["Location"]


async def test_web_application_flow(
    provider: OAuth2Provider, tls: TLS, http: aiohttp.ClientSession
) -> None:
    async with session(tls, "web-client", redirect_uri=REDIRECT_URI, scope=["read"]) as oauth:
        authorization_url, state = oauth.authorization_url(
            provider.url("/authorize"), access_type="offline"
        )
        assert f"state={state}" in authorization_url
        assert "access_type=offline" in authorization_url
        callback = await approve(http, authorization_url)
        token = await oauth.fetch_token(
            provider.url("/token"), authorization_response=callback, client_secret="web-secret"
        )
        assert token["access_token"] and token["token_type"].lower() == "bearer"
        assert oauth.authorized
        resp = await oauth.get(provider.url("/api/user"))
        assert resp.status == 200
        assert (await resp.json())["sub"] == "alice"
    assert provider.token_requests[-1]["client_auth"] == "client_secret_basic"


async def test_web_application_flow_with_seed_two_sessions(
    provider: OAuth2Provider, tls: TLS, http: aiohttp.ClientSession
) -> None:
    """The seed's web app: one session makes the URL, another (state=) fetches the token."""
    async with session(tls, "web-client", redirect_uri=REDIRECT_URI) as login:
        authorization_url, state = login.authorization_url(provider.url("/authorize"))
    callback = await approve(http, authorization_url)
    async with session(tls, "web-client", redirect_uri=REDIRECT_URI, state=state) as cb:
        await cb.fetch_token(
            provider.url("/token"), client_secret="web-secret", authorization_response=callback
        )
        async with cb.get(provider.url("/api/user")) as resp:
            assert resp.status == 200


async def test_wrong_state_is_refused_and_nothing_is_stored(
    provider: OAuth2Provider, tls: TLS, http: aiohttp.ClientSession
) -> None:
    async with session(tls, "web-client", redirect_uri=REDIRECT_URI) as login:
        authorization_url, _ = login.authorization_url(provider.url("/authorize"))
    callback = await approve(http, authorization_url)
    async with session(tls, "web-client", redirect_uri=REDIRECT_URI, state="forged") as cb:
        with pytest.raises(MismatchingStateError):
            await cb.fetch_token(
                provider.url("/token"), client_secret="web-secret", authorization_response=callback
            )
        assert not cb.authorized
    async with session(tls, "web-client", redirect_uri=REDIRECT_URI) as no_state:
        with pytest.raises(MismatchingStateError):
            await no_state.fetch_token(
                provider.url("/token"), client_secret="web-secret", authorization_response=callback
            )
    assert provider.grant_counts["authorization_code"] == 0


async def test_reused_code_raises_oauthlib_error_with_description(
    provider: OAuth2Provider, tls: TLS, http: aiohttp.ClientSession
) -> None:
    async with session(tls, "web-client", redirect_uri=REDIRECT_URI, scope=["read"]) as oauth:
        authorization_url, _ = oauth.authorization_url(provider.url("/authorize"))
        callback = await approve(http, authorization_url)
        first = await oauth.fetch_token(
            provider.url("/token"), authorization_response=callback, client_secret="web-secret"
        )
        with pytest.raises(InvalidGrantError) as caught:
            await oauth.fetch_token(
                provider.url("/token"), authorization_response=callback, client_secret="web-secret"
            )
        assert caught.value.status_code == 400
        assert oauth.token == first  # the failed request lost nothing


@pytest.mark.parametrize("method", ["S256", "plain"])
async def test_pkce_verifier_survives_between_two_requests(
    tls: TLS, http: aiohttp.ClientSession, method: str
) -> None:
    async with running_provider(tls, require_pkce=True) as provider:
        async with session(
            tls, "web-client", redirect_uri=REDIRECT_URI, pkce=method
        ) as login:  # request 1: the login view
            authorization_url, state = login.authorization_url(provider.url("/authorize"))
            verifier = login.code_verifier
        assert verifier and f"code_challenge_method={method}" in authorization_url
        callback = await approve(http, authorization_url)
        async with session(
            tls, "web-client", redirect_uri=REDIRECT_URI, state=state, pkce=method
        ) as cb:  # request 2: the callback view, verifier kept with the state
            with pytest.raises(ValueError, match="code verifier"):
                await cb.fetch_token(provider.url("/token"), authorization_response=callback)
            token = await cb.fetch_token(
                provider.url("/token"),
                authorization_response=callback,
                client_secret="web-secret",
                code_verifier=verifier,
            )
        assert token["access_token"]


async def test_pkce_wrong_verifier_is_refused_by_the_provider(
    tls: TLS, http: aiohttp.ClientSession
) -> None:
    async with running_provider(tls, require_pkce=True) as provider:
        async with session(tls, "web-client", redirect_uri=REDIRECT_URI, pkce="S256") as oauth:
            authorization_url, _ = oauth.authorization_url(provider.url("/authorize"))
            callback = await approve(http, authorization_url)
            with pytest.raises(InvalidGrantError):
                await oauth.fetch_token(
                    provider.url("/token"),
                    authorization_response=callback,
                    client_secret="web-secret",
                    code_verifier="x" * 64,
                )
            assert not oauth.authorized


async def test_mobile_application_flow_seed_literal(provider: OAuth2Provider, tls: TLS) -> None:
    """Seed 3.2.3: ``response = await oauth.get(authorization_url)`` then
    ``oauth.token_from_fragment(response.url)`` (aiohttp keeps the fragment only in real_url)."""
    client = MobileApplicationClient(client_id="public-client")
    redirect_uri = provider.url("/echo-headers")
    async with session(tls, client=client, scope=["read"], redirect_uri=redirect_uri) as oauth:
        authorization_url, _ = oauth.authorization_url(provider.url("/authorize"))
        response = await oauth.get(authorization_url)
        assert "#" not in str(response.url)
        token = oauth.token_from_fragment(response.url)
        assert token["access_token"]
        async with oauth.get(provider.url("/api/user")) as resp:
            assert resp.status == 200


async def test_legacy_application_flow(provider: OAuth2Provider, tls: TLS) -> None:
    client = LegacyApplicationClient(client_id="web-client")
    async with session(tls, client=client) as oauth:
        with pytest.raises(ValueError, match="password"):
            await oauth.fetch_token(provider.url("/token"), username="alice")
        token = await oauth.fetch_token(
            token_url=provider.url("/token"),
            username="alice",
            password="wonderland",
            client_id="web-client",
            client_secret="web-secret",
        )
        assert token["access_token"]
        with pytest.raises(InvalidGrantError):
            await oauth.fetch_token(
                provider.url("/token"),
                username="alice",
                password="nope",
                client_secret="web-secret",
            )
        assert oauth.token == token
    assert provider.grant_counts["password"] == 2


async def test_backend_application_flow_secret_in_body(provider: OAuth2Provider, tls: TLS) -> None:
    client = BackendApplicationClient(client_id="web-client")
    async with session(tls, client=client) as oauth:
        await oauth.fetch_token(
            token_url=provider.url("/token"),
            client_id="web-client",
            client_secret="web-secret",
            include_client_id=True,
        )
        assert oauth.authorized
    assert provider.token_requests[-1]["client_auth"] == "client_secret_post"


async def test_backend_application_flow_basic_tuple(provider: OAuth2Provider, tls: TLS) -> None:
    client = BackendApplicationClient(client_id="web-client")
    async with session(tls, client=client) as oauth:
        await oauth.fetch_token(token_url=provider.url("/token"), auth=("web-client", "web-secret"))
        assert oauth.authorized
    assert provider.token_requests[-1]["client_auth"] == "client_secret_basic"


async def test_backend_application_flow_aiohttp_basic_auth(
    provider: OAuth2Provider, tls: TLS
) -> None:
    """The seed passes an auth object; aiohttp.BasicAuth works (its construction warns on 3.14,
    but nothing we do with it warns: the header is built by us)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.14 deprecates it; 3.12 does not
        auth = aiohttp.BasicAuth("web-client", "web-secret")
    client = BackendApplicationClient(client_id="web-client")
    async with session(tls, client=client) as oauth:
        await oauth.fetch_token(token_url=provider.url("/token"), auth=auth)
        assert oauth.authorized


async def test_token_request_by_get_and_querystring(provider: OAuth2Provider, tls: TLS) -> None:
    provider.quirks.allow_query_in_post = True  # oauthlib's server refuses it by default
    client = BackendApplicationClient(client_id="web-client")
    async with session(tls, client=client) as oauth:
        await oauth.fetch_token(provider.url("/token"), client_secret="web-secret", method="GET")
        assert provider.token_requests[-1]["method"] == "GET"
        await oauth.fetch_token(
            provider.url("/token"), client_secret="web-secret", force_querystring=True
        )
        assert oauth.authorized
        with pytest.raises(ValueError, match="POST or GET"):
            await oauth.fetch_token(provider.url("/token"), client_secret="x", method="PUT")


async def test_tls_client_authentication(
    provider: OAuth2Provider, tls: TLS, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seed 3.2.7: ``cert=(certfile, keyfile)`` and ``include_client_id=True`` (RFC 8705)."""
    cert = tls.ca.issue_cert("mtls-client")
    certfile, keyfile = f"{tmp_path}/client.pem", f"{tmp_path}/client-key.pem"
    cert.cert_chain_pems[0].write_to_path(certfile)
    cert.private_key_pem.write_to_path(keyfile)
    # The default context trusts the system CAs plus SSL_CERT_FILE: the test CA.
    monkeypatch.setenv("SSL_CERT_FILE", tls.ca_pem_path)
    client = BackendApplicationClient(client_id="mtls-client")
    async with session(tls, client=client) as oauth:
        token = await oauth.fetch_token(
            token_url=provider.url("/token"),
            include_client_id=True,
            cert=(certfile, keyfile),
        )
        assert token["access_token"]
    assert provider.token_requests[-1]["client_auth"] == "tls_client_auth"


async def test_without_certificate_mtls_client_is_refused(
    provider: OAuth2Provider, tls: TLS
) -> None:
    client = BackendApplicationClient(client_id="mtls-client")
    async with session(tls, client=client) as oauth:
        with pytest.raises(Exception) as caught:
            await oauth.fetch_token(token_url=provider.url("/token"), include_client_id=True)
        assert getattr(caught.value, "error", None) in {"invalid_client", "unauthorized_client"}
        assert not oauth.authorized
