"""TLS helpers: a CA bundle adds to the system's trust store, client certificates
reload when their files change, and a caller's ssl_context is never modified."""

from __future__ import annotations

import os
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from oauthlib.oauth2 import BackendApplicationClient, OAuth2Error

from quart_oauthlib import OAuth2Session
from quart_oauthlib.client.tls import ClientCertificate, derive_context, trust_store_with
from tests.fake_provider.oauth2 import OAuth2Provider, running_provider
from tests.fake_provider.serving import TLS


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[OAuth2Provider]:
    async with running_provider(tls) as p:
        yield p


def write_cert(tls: TLS, directory: Path, name: str = "mtls-client") -> tuple[str, str]:
    cert = tls.ca.issue_cert(name)
    certfile, keyfile = str(directory / "client.pem"), str(directory / "client-key.pem")
    cert.cert_chain_pems[0].write_to_path(certfile)
    cert.private_key_pem.write_to_path(keyfile)
    return certfile, keyfile


def mtls_session(**kwargs: object) -> OAuth2Session:
    return OAuth2Session(client=BackendApplicationClient("mtls-client"), **kwargs)  # type: ignore[arg-type]


def test_a_ca_bundle_adds_to_the_system_trust_store(tls: TLS) -> None:
    system = len(ssl.create_default_context().get_ca_certs())
    context = trust_store_with(tls.ca_pem_path)
    assert len(context.get_ca_certs()) == system + 1
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


async def test_a_trust_store_with_the_bundle_reaches_the_private_provider(
    provider: OAuth2Provider, tls: TLS
) -> None:
    connector = aiohttp.TCPConnector(ssl=trust_store_with(tls.ca_pem_path))
    async with aiohttp.ClientSession(connector=connector) as http:
        async with http.get(provider.url("/api/user")) as resp:
            assert resp.status == 401  # TLS verified; no token sent


async def test_verify_ssl_false_is_kept_with_a_client_certificate(
    provider: OAuth2Provider, tls: TLS, tmp_path: Path
) -> None:
    certfile, keyfile = write_cert(tls, tmp_path)
    async with mtls_session() as oauth:  # does not trust the test CA
        await oauth.fetch_token(
            provider.url("/token"),
            include_client_id=True,
            cert=(certfile, keyfile),
            verify_ssl=False,
        )
    assert provider.token_requests[-1]["client_auth"] == "tls_client_auth"


async def test_the_callers_ssl_context_is_never_modified(
    provider: OAuth2Provider, tls: TLS, tmp_path: Path
) -> None:
    certfile, keyfile = write_cert(tls, tmp_path)
    mine = ssl.create_default_context(cafile=tls.ca_pem_path)
    async with mtls_session() as oauth:
        await oauth.fetch_token(
            provider.url("/token"),
            include_client_id=True,
            cert=(certfile, keyfile),
            ssl_context=mine,
        )
        assert provider.token_requests[-1]["client_auth"] == "tls_client_auth"
        # The same context alone carries no certificate: it was not loaded into it.
        with pytest.raises(OAuth2Error) as caught:
            await oauth.fetch_token(
                provider.url("/token"), include_client_id=True, ssl_context=mine
            )
        assert caught.value.error in {"invalid_client", "unauthorized_client"}


def test_a_derived_context_copies_cas_and_checks(tls: TLS) -> None:
    base = ssl.create_default_context(cafile=tls.ca_pem_path)
    base.minimum_version = ssl.TLSVersion.TLSv1_3
    derived = derive_context(base)
    assert derived is not base
    assert derived.minimum_version == ssl.TLSVersion.TLSv1_3
    ders = derived.get_ca_certs(binary_form=True)
    assert all(der in ders for der in base.get_ca_certs(binary_form=True))
    relaxed = derive_context(base, verify=False)
    assert relaxed.verify_mode == ssl.CERT_NONE and base.verify_mode == ssl.CERT_REQUIRED


async def test_a_client_certificate_reloads_when_its_files_change(
    provider: OAuth2Provider, tls: TLS, tmp_path: Path
) -> None:
    certfile, keyfile = write_cert(tls, tmp_path, "someone-else")
    certificate = ClientCertificate(certfile, keyfile, ca_bundle=tls.ca_pem_path)
    first = certificate.context()
    assert certificate.context() is first and certificate.loads == 1  # unchanged: kept

    async def auth_method() -> str:
        connector = aiohttp.TCPConnector(ssl=certificate.context())
        async with mtls_session(connector=connector) as oauth:
            try:
                await oauth.fetch_token(provider.url("/token"), include_client_id=True)
            except OAuth2Error:
                pass
        return str(provider.token_requests[-1]["status"])

    assert await auth_method() != "200"  # a certificate, but not the registered one
    write_cert(tls, tmp_path)  # renewed, for the registered subject
    stat = os.stat(certfile)
    os.utime(certfile, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert certificate.context() is not first and certificate.loads == 2
    assert await auth_method() == "200"


def test_a_half_written_certificate_keeps_the_last_good_context(tls: TLS, tmp_path: Path) -> None:
    certfile, keyfile = write_cert(tls, tmp_path)
    certificate = ClientCertificate(certfile, keyfile)
    good = certificate.context()
    Path(certfile).write_text("-----BEGIN CERTIFICATE-----\ntrunc")
    assert certificate.context() is good
    os.remove(certfile)
    assert certificate.context() is good
