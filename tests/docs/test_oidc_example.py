"""The OpenID Connect page's example (docs/examples/oidc_login.py) against the local provider."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from yarl import URL

from quart_oauthlib.client.oidc import ProviderDiscovery
from quart_oauthlib.errors import IDTokenError
from tests.docs.conftest import load_example
from tests.fake_provider.oidc import CLIENT_ID, CLIENT_SECRET, OpenIDProvider, running_oidc_provider
from tests.fake_provider.serving import TLS

CALLBACK = "https://app.example/callback"


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[OpenIDProvider]:
    async with running_oidc_provider(tls) as p:
        yield p


def approving(provider: OpenIDProvider, *, nonce: str | None = None):  # type: ignore[no-untyped-def]
    """The provider's login page: a code bound to the request's nonce (or to ``nonce``)."""

    async def authorize(authorization_url: str) -> str:
        query = URL(authorization_url).query
        assert query["scope"] == "openid email profile"
        code = provider.issue_code(nonce or query["nonce"])
        back = URL(query["redirect_uri"]).with_query(
            code=code, state=query["state"], iss=provider.issuer
        )
        return str(back)

    return authorize


async def test_sign_in(provider: OpenIDProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    example = load_example("oidc_login.py")
    monkeypatch.setattr(example, "discovery", ProviderDiscovery(provider.metadata_url))
    claims = await example.sign_in(CLIENT_ID, CLIENT_SECRET, CALLBACK, approving(provider))
    assert claims["sub"] == provider.sub
    assert provider.calls["userinfo"] == 1


async def test_sign_in_refuses_another_nonce(
    provider: OpenIDProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = load_example("oidc_login.py")
    monkeypatch.setattr(example, "discovery", ProviderDiscovery(provider.metadata_url))
    with pytest.raises(IDTokenError):
        await example.sign_in(
            CLIENT_ID, CLIENT_SECRET, CALLBACK, approving(provider, nonce="replayed")
        )
