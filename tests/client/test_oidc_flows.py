"""OpenID Connect around the ID token: RFC 9207, userinfo, revocation and introspection."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest
from oauthlib.oauth2 import InsecureTransportError
from oauthlib.oauth2.rfc6749.errors import InvalidClientError, UnsupportedTokenTypeError

from quart_oauthlib import OAuth2Session, TokenResponseError
from quart_oauthlib.client.oidc import (
    IDTokenValidator,
    ProviderDiscovery,
    ProviderMetadata,
    check_authorization_response_issuer,
    fetch_userinfo,
)
from quart_oauthlib.errors import IssuerMismatchError, UserInfoError, UserInfoMismatchError
from tests.fake_provider.oidc import (
    CLIENT_ID,
    CLIENT_SECRET,
    OpenIDProvider,
    running_oidc_provider,
)
from tests.fake_provider.serving import TLS

NONCE = "n-login-1"
CALLBACK = "https://app.example/callback"


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[OpenIDProvider]:
    async with running_oidc_provider(tls) as p:
        yield p


@pytest.fixture
async def metadata(provider: OpenIDProvider, http: aiohttp.ClientSession) -> ProviderMetadata:
    return await ProviderDiscovery(provider.metadata_url).load(http)


@pytest.fixture
async def session(tls: TLS) -> AsyncIterator[OAuth2Session]:
    async with OAuth2Session(
        CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uri=CALLBACK,
        state="st-1",
        connector=aiohttp.TCPConnector(ssl=tls.client_context),
    ) as s:
        yield s


async def login(
    provider: OpenIDProvider, metadata: ProviderMetadata, session: OAuth2Session
) -> str:
    """The code flow after the redirect back: returns the raw ID token."""
    code = provider.issue_code(NONCE)
    callback = f"{CALLBACK}?code={code}&state=st-1&iss={provider.issuer}"
    check_authorization_response_issuer(metadata, callback)
    token = await session.fetch_token(
        metadata.require("token_endpoint"), authorization_response=callback
    )
    id_token = token["id_token"]
    assert isinstance(id_token, str)
    return id_token


# -- the whole code flow ------------------------------------------------------------


async def test_code_flow_with_id_token_and_userinfo(
    provider: OpenIDProvider, metadata: ProviderMetadata, session: OAuth2Session
) -> None:
    raw = await login(provider, metadata, session)
    validator = IDTokenValidator.for_provider(metadata, client_id=CLIENT_ID)
    id_token = await validator.validate(
        session.http, raw, nonce=NONCE, access_token=session.access_token
    )
    assert "at_hash" in id_token
    claims = await fetch_userinfo(session, metadata.require("userinfo_endpoint"), id_token=id_token)
    assert claims["sub"] == id_token.sub
    assert claims["email"] == "ada@example.test"


# -- userinfo -----------------------------------------------------------------------


async def test_userinfo_sub_mismatch(
    provider: OpenIDProvider, metadata: ProviderMetadata, session: OAuth2Session
) -> None:
    raw = await login(provider, metadata, session)
    validator = IDTokenValidator.for_provider(metadata, client_id=CLIENT_ID)
    id_token = await validator.validate(session.http, raw, nonce=NONCE)
    provider.userinfo_sub = "someone-else"
    with pytest.raises(UserInfoMismatchError) as caught:
        await fetch_userinfo(session, metadata.require("userinfo_endpoint"), id_token=id_token)
    assert "someone-else" not in str(caught.value)


async def test_userinfo_refused_token(
    provider: OpenIDProvider, metadata: ProviderMetadata, session: OAuth2Session
) -> None:
    session.token = {"access_token": "not-issued", "token_type": "Bearer"}
    with pytest.raises(UserInfoError, match="status 401") as caught:
        await fetch_userinfo(session, metadata.require("userinfo_endpoint"))
    assert caught.value.status == 401
    assert provider.calls["userinfo"] == 1


# -- RFC 9207 -------------------------------------------------------------------------


def test_issuer_parameter_matches(metadata: ProviderMetadata) -> None:
    check_authorization_response_issuer(metadata, f"{CALLBACK}?code=c&iss={metadata.issuer}")
    check_authorization_response_issuer(metadata, {"code": "c", "iss": metadata.issuer})
    # Implicit and hybrid responses carry it in the fragment.
    check_authorization_response_issuer(metadata, f"{CALLBACK}#id_token=x&iss={metadata.issuer}")


def test_issuer_parameter_of_another_provider(metadata: ProviderMetadata) -> None:
    with pytest.raises(IssuerMismatchError, match="evil"):
        check_authorization_response_issuer(metadata, f"{CALLBACK}?code=c&iss=https://evil.example")
    with pytest.raises(IssuerMismatchError, match="more than one"):
        check_authorization_response_issuer(
            metadata, f"{CALLBACK}?code=c&iss={metadata.issuer}&iss=https://evil.example"
        )


def test_issuer_parameter_missing_when_advertised(metadata: ProviderMetadata) -> None:
    assert metadata.authorization_response_iss_parameter_supported
    with pytest.raises(IssuerMismatchError, match="no iss"):
        check_authorization_response_issuer(metadata, f"{CALLBACK}?code=c&state=s")
    with pytest.raises(IssuerMismatchError):  # error responses too
        check_authorization_response_issuer(metadata, f"{CALLBACK}?error=access_denied")


def test_issuer_parameter_optional_when_not_advertised(metadata: ProviderMetadata) -> None:
    quiet = metadata.replace(authorization_response_iss_parameter_supported=False)
    check_authorization_response_issuer(quiet, f"{CALLBACK}?code=c&state=s")
    # ... but when present it is still checked (RFC 9207 §2.4).
    with pytest.raises(IssuerMismatchError):
        check_authorization_response_issuer(quiet, f"{CALLBACK}?code=c&iss=https://evil.example")


# -- RFC 7009 revocation --------------------------------------------------------------


async def test_revoke_access_token(
    provider: OpenIDProvider, metadata: ProviderMetadata, session: OAuth2Session
) -> None:
    await login(provider, metadata, session)
    access_token = session.access_token
    assert access_token is not None
    await session.revoke_token(metadata.require("revocation_endpoint"))
    assert provider.revoked == [(access_token, "access_token")]
    assert provider.last_auth is not None and provider.last_auth.startswith("Basic ")
    with pytest.raises(UserInfoError, match="status 401"):
        await fetch_userinfo(session, metadata.require("userinfo_endpoint"))


async def test_revoke_explicit_token_without_hint(
    provider: OpenIDProvider, metadata: ProviderMetadata, session: OAuth2Session
) -> None:
    await session.revoke_token(metadata.require("revocation_endpoint"), "rt-1", None)
    assert provider.revoked == [("rt-1", None)]


async def test_revoke_errors(
    provider: OpenIDProvider, metadata: ProviderMetadata, tls: TLS, session: OAuth2Session
) -> None:
    url = metadata.require("revocation_endpoint")
    with pytest.raises(UnsupportedTokenTypeError) as caught:
        await session.revoke_token(url, "t", "id_token")
    assert caught.value.status_code == 400
    with pytest.raises(ValueError, match="No token"):
        await session.revoke_token(url)
    with pytest.raises(InsecureTransportError):
        await session.revoke_token("http://127.0.0.1/revoke", "t")
    async with OAuth2Session(
        CLIENT_ID,
        client_secret="wrong",
        connector=aiohttp.TCPConnector(ssl=tls.client_context),
    ) as wrong:
        with pytest.raises(InvalidClientError):
            await wrong.revoke_token(url, "t")
    with pytest.raises(TokenResponseError, match="status 404"):
        await session.revoke_token(f"{provider.issuer}/nowhere", "t")
    # client_secret_post: the credentials go in the form, and no Basic header with them.
    with pytest.raises(InvalidClientError):
        await session.revoke_token(url, "t", client_secret=CLIENT_SECRET)
    assert provider.last_auth is None


# -- RFC 7662 introspection -----------------------------------------------------------


async def test_introspect_active_and_inactive(
    provider: OpenIDProvider,
    metadata: ProviderMetadata,
    session: OAuth2Session,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await login(provider, metadata, session)
    url = metadata.require("introspection_endpoint")
    answer = await session.introspect_token(url)
    assert answer["active"] is True and answer["sub"] == provider.sub
    assert (await session.introspect_token(url, "unknown"))["active"] is False
    access_token = session.access_token
    assert access_token is not None
    assert access_token not in caplog.text and CLIENT_SECRET not in caplog.text


async def test_introspect_answer_without_active(
    provider: OpenIDProvider, metadata: ProviderMetadata, session: OAuth2Session
) -> None:
    url = metadata.require("introspection_endpoint")
    provider.introspection_answer = {"sub": "x"}
    with pytest.raises(TokenResponseError, match="without a boolean active") as caught:
        await session.introspect_token(url, "t")
    assert "parameters sub" in str(caught.value)
    provider.introspection_answer = {"active": "true"}
    with pytest.raises(TokenResponseError, match="without a boolean active"):
        await session.introspect_token(url, "t")
    # A GET-only resource is no introspection endpoint.
    with pytest.raises(TokenResponseError, match="status 405"):
        await session.introspect_token(metadata.require("userinfo_endpoint"), "t")
