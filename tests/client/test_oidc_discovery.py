"""Provider metadata: fetched lazily, cached, and refused when it names another issuer."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator

import aiohttp
import pytest

from quart_oauthlib.client.oidc import (
    ProviderDiscovery,
    ProviderMetadata,
    expected_issuer,
    fetch_provider_metadata,
)
from quart_oauthlib.errors import DeadlineExceededError, DiscoveryError, ProviderError
from tests.fake_provider.oidc import OpenIDProvider, running_oidc_provider
from tests.fake_provider.serving import TLS


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[OpenIDProvider]:
    async with running_oidc_provider(tls) as p:
        yield p


async def test_discovery_fetches_typed_metadata(
    provider: OpenIDProvider, http: aiohttp.ClientSession
) -> None:
    discovery = ProviderDiscovery(provider.metadata_url)
    metadata = await discovery.load(http)
    assert metadata.issuer == provider.issuer
    assert metadata.token_endpoint == f"{provider.issuer}/token"
    assert metadata.jwks_uri == f"{provider.issuer}/jwks"
    assert metadata.end_session_endpoint == f"{provider.issuer}/logout"
    assert metadata.revocation_endpoint == f"{provider.issuer}/revoke"
    assert metadata.introspection_endpoint == f"{provider.issuer}/introspect"
    assert metadata.id_token_signing_alg_values_supported == ("RS256", "ES256", "HS256")
    assert metadata.code_challenge_methods_supported == ("S256",)
    assert metadata.authorization_response_iss_parameter_supported is True
    assert metadata.get("subject_types_supported") == ["public"]
    assert metadata.require("userinfo_endpoint") == f"{provider.issuer}/userinfo"


async def test_discovery_is_cached_and_single_flight(
    provider: OpenIDProvider, http: aiohttp.ClientSession
) -> None:
    discovery = ProviderDiscovery(provider.metadata_url)
    results = await asyncio.gather(*(discovery.load(http) for _ in range(10)))
    assert all(r is results[0] for r in results)
    assert await discovery.load(http) is results[0]
    assert provider.calls["metadata"] == 1
    await discovery.load(http, force=True)
    assert provider.calls["metadata"] == 2


async def test_stale_metadata_is_fetched_again(
    provider: OpenIDProvider, http: aiohttp.ClientSession
) -> None:
    now = [1000.0]
    discovery = ProviderDiscovery(provider.metadata_url, max_age=60, clock=lambda: now[0])
    await discovery.load(http)
    now[0] += 59
    await discovery.load(http)
    assert provider.calls["metadata"] == 1
    now[0] += 2
    await discovery.load(http)
    assert provider.calls["metadata"] == 2


def test_construction_does_no_io() -> None:
    # No event loop, no session, no server: construction must not need any.
    discovery = ProviderDiscovery("https://id.invalid/.well-known/openid-configuration")
    assert discovery.cached is None


async def test_issuer_mismatch_is_refused(
    provider: OpenIDProvider, http: aiohttp.ClientSession
) -> None:
    provider.metadata_overrides["issuer"] = "https://evil.example"
    discovery = ProviderDiscovery(provider.metadata_url)
    with pytest.raises(DiscoveryError, match="evil.example"):
        await discovery.load(http)
    assert discovery.cached is None


async def test_configured_issuer_must_match(
    provider: OpenIDProvider, http: aiohttp.ClientSession
) -> None:
    with pytest.raises(DiscoveryError, match="not the expected"):
        await fetch_provider_metadata(
            http, provider.metadata_url, issuer=provider.issuer + "/tenant"
        )
    metadata = await fetch_provider_metadata(http, provider.metadata_url, issuer=provider.issuer)
    assert metadata.issuer == provider.issuer


async def test_trailing_slash_issuer_accepted_only_when_derived(
    provider: OpenIDProvider, http: aiohttp.ClientSession
) -> None:
    provider.metadata_overrides["issuer"] = provider.issuer + "/"  # as Auth0 does
    metadata = await fetch_provider_metadata(http, provider.metadata_url)
    assert metadata.issuer == provider.issuer + "/"
    with pytest.raises(DiscoveryError):
        await fetch_provider_metadata(http, provider.metadata_url, issuer=provider.issuer)


async def test_non_json_metadata_is_a_discovery_error(
    provider: OpenIDProvider, http: aiohttp.ClientSession
) -> None:
    provider.metadata_body = b"<html>maintenance</html>"
    with pytest.raises(DiscoveryError, match="not JSON") as caught:
        await fetch_provider_metadata(http, provider.metadata_url)
    assert isinstance(caught.value, ProviderError)
    assert caught.value.status == 200


async def test_oversized_metadata_is_refused(
    provider: OpenIDProvider, http: aiohttp.ClientSession
) -> None:
    provider.metadata_body = b"x" * 5000
    with pytest.raises(DiscoveryError, match="larger than 1000 bytes"):
        await fetch_provider_metadata(http, provider.metadata_url, max_bytes=1000)


async def test_missing_metadata_is_a_discovery_error(
    provider: OpenIDProvider, http: aiohttp.ClientSession
) -> None:
    with pytest.raises(DiscoveryError, match="status 404") as caught:
        await fetch_provider_metadata(http, f"{provider.issuer}/.well-known/nothing-here")
    assert caught.value.status == 404


async def test_slow_metadata_hits_the_deadline(
    provider: OpenIDProvider, http: aiohttp.ClientSession
) -> None:
    provider.metadata_delay = 0.5
    discovery = ProviderDiscovery(provider.metadata_url, timeout=0.05)
    with pytest.raises(DeadlineExceededError, match="provider metadata"):
        await discovery.load(http)


async def test_unreachable_provider_is_a_discovery_error(http: aiohttp.ClientSession) -> None:
    with pytest.raises(DiscoveryError, match="could not be fetched"):
        await fetch_provider_metadata(http, "https://127.0.0.1:1/.well-known/openid-configuration")


async def test_plain_http_endpoint_in_metadata_is_refused(
    provider: OpenIDProvider, http: aiohttp.ClientSession
) -> None:
    provider.metadata_overrides["token_endpoint"] = "http://127.0.0.1/token"
    with pytest.raises(DiscoveryError, match="token_endpoint is not an https URL"):
        await fetch_provider_metadata(http, provider.metadata_url)


@pytest.mark.parametrize(
    ("url", "issuer"),
    [
        ("https://id.example/.well-known/openid-configuration", "https://id.example"),
        ("https://id.example/t1/.well-known/openid-configuration", "https://id.example/t1"),
        ("https://id.example/.well-known/oauth-authorization-server/t1", "https://id.example/t1"),
        ("https://id.example:8443/.well-known/openid-configuration", "https://id.example:8443"),
    ],
)
def test_expected_issuer_from_url(url: str, issuer: str) -> None:
    assert expected_issuer(url) == issuer


def test_expected_issuer_needs_a_well_known_url() -> None:
    with pytest.raises(DiscoveryError, match="configure it"):
        expected_issuer("https://id.example/metadata.json")


def test_metadata_types_are_checked() -> None:
    with pytest.raises(DiscoveryError, match="no issuer"):
        ProviderMetadata.from_document({})
    with pytest.raises(DiscoveryError, match="list of strings"):
        ProviderMetadata.from_document({"issuer": "https://a", "scopes_supported": "openid"})
    with pytest.raises(DiscoveryError, match="not a boolean"):
        ProviderMetadata.from_document(
            {"issuer": "https://a", "authorization_response_iss_parameter_supported": "yes"}
        )
    minimal = ProviderMetadata.from_document({"issuer": "https://a"})
    assert minimal.id_token_signing_alg_values_supported == ("RS256",)
    assert minimal.authorization_response_iss_parameter_supported is False
    with pytest.raises(DiscoveryError, match="no jwks_uri"):
        minimal.require("jwks_uri")


def test_package_imports_without_joserfc() -> None:
    code = (
        "import sys; sys.modules['joserfc'] = None\n"
        "import quart_oauthlib, quart_oauthlib.client.oidc as oidc\n"
        "assert oidc.ProviderDiscovery\n"
        "try:\n"
        "    oidc.IDTokenValidator\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert "pip install quart-oauthlib[jose]" in out.stdout


def test_oidc_does_not_import_quart() -> None:
    code = (
        "import sys, quart_oauthlib.client.oidc as oidc; oidc.IDTokenValidator;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'quart', 'werkzeug'});"
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""
