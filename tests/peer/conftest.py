"""The peer tests' fixtures: oidc-provider's URL, its metadata, keys and registered clients.

The tests skip when ``QUART_OAUTHLIB_TEST_PEER_URL`` is unset (no Node here),
and fail when it is set but the provider does not answer: CI started it, so a
silent skip would hide a broken setup.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.peer.interaction import UserAgent

REDIRECT_URI = "http://127.0.0.1/cb"
#: The secret of the peer's client_secret_* clients (server.mjs).
SECRET = "peer-secret-that-is-long-enough-for-hs256-0123456789"


@pytest.fixture(scope="session")
def peer_url() -> str:
    url = os.environ.get("QUART_OAUTHLIB_TEST_PEER_URL")
    if not url:
        pytest.skip("QUART_OAUTHLIB_TEST_PEER_URL is unset: no oidc-provider to test against.")
    return url.rstrip("/")


@pytest.fixture(autouse=True)
def _plain_http_to_the_peer(monkeypatch: pytest.MonkeyPatch) -> None:
    # The peer listens on http://127.0.0.1 (oidc-provider's development mode).
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


async def peer_metadata(peer_url: str) -> dict[str, Any]:
    """The peer's discovery document; a test failure (not a skip) when it does not answer."""
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
            async with http.get(f"{peer_url}/.well-known/openid-configuration") as resp:
                resp.raise_for_status()
                document: dict[str, Any] = await resp.json()
    except (aiohttp.ClientError, TimeoutError) as exc:
        pytest.fail(f"QUART_OAUTHLIB_TEST_PEER_URL is set but {peer_url} is unreachable: {exc!r}")
    return document


@pytest.fixture
async def metadata(peer_url: str) -> dict[str, Any]:
    return await peer_metadata(peer_url)


#: The clients that sign with keys, registered per test with fresh keys (dynamic
#: registration): what each needs besides private_key_jwt and the code flow.
KEYED_CLIENTS: dict[str, dict[str, Any]] = {
    "private-jwt": {},
    "dpop": {"dpop_bound_access_tokens": True},
    "jar": {"require_signed_request_object": True, "request_object_signing_alg": "ES256"},
    "fapi2": {
        "client_name": "fapi2",  # the peer enforces its FAPI 2.0 profile for this name
        "token_endpoint_auth_signing_alg": "ES256",
        "dpop_bound_access_tokens": True,
        "require_pushed_authorization_requests": True,
        "id_token_signed_response_alg": "ES256",
    },
}


@pytest.fixture(scope="session")
def client_keys() -> dict[str, dict[str, Any]]:
    """Fresh private JWKs for this run (their public halves are registered)."""
    from joserfc.jwk import ECKey, RSAKey

    return {
        "es256": ECKey.generate_key(
            "P-256", {"kid": "c-es256", "alg": "ES256"}, private=True
        ).as_dict(private=True),
        "ps256": RSAKey.generate_key(
            2048, {"kid": "c-ps256", "alg": "PS256"}, private=True
        ).as_dict(private=True),
    }


async def register_client(metadata: dict[str, Any], **client_metadata: Any) -> dict[str, Any]:
    """Register a client at the peer (RFC 7591); its registration answer."""
    async with aiohttp.ClientSession() as http:
        async with http.post(metadata["registration_endpoint"], json=client_metadata) as resp:
            answer: dict[str, Any] = await resp.json()
            assert resp.status == 201, answer
    return answer


def public_jwks(keys: dict[str, dict[str, Any]]) -> dict[str, Any]:
    private_members = {"d", "p", "q", "dp", "dq", "qi"}
    return {
        "keys": [
            {k: v for k, v in key.items() if k not in private_members} for key in keys.values()
        ]
    }


@pytest.fixture
async def clients(metadata: dict[str, Any], client_keys: dict[str, Any]) -> dict[str, str]:
    """The client id of each of KEYED_CLIENTS, registered for this test."""
    ids = {}
    for name, extra in KEYED_CLIENTS.items():
        answer = await register_client(
            metadata,
            redirect_uris=[REDIRECT_URI],
            grant_types=["authorization_code", "refresh_token", "client_credentials"],
            response_types=["code"],
            token_endpoint_auth_method="private_key_jwt",
            jwks=public_jwks(client_keys),
            **extra,
        )
        ids[name] = str(answer["client_id"])
    return ids


@pytest.fixture
async def user_agent() -> AsyncIterator[UserAgent]:
    agent = UserAgent()
    yield agent
    await agent.close()
