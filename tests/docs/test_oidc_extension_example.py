"""The OpenID Connect extension example, signed in against the local OpenID provider."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from yarl import URL

from tests.docs.conftest import load_example
from tests.ext.oidc_support import TamperingProvider, authorize, running
from tests.fake_provider.oidc import CLIENT_ID, CLIENT_SECRET
from tests.fake_provider.serving import TLS


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[TamperingProvider]:
    async with running(tls) as p:
        yield p


async def test_oidc_extension_example(
    provider: TamperingProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_KEY", "docs-test-secret")
    monkeypatch.setenv("CORP_METADATA_URL", provider.metadata_url)
    monkeypatch.setenv("CORP_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("CORP_CLIENT_SECRET", CLIENT_SECRET)
    example = load_example("oidc_extension.py")
    app = example.create_app()
    async with app.test_app() as test_app:
        client = test_app.test_client()
        assert (await client.get("/")).headers["Location"].startswith("/login/corp")
        location = await client.get("/login/corp")
        query = authorize(provider, URL(location.headers["Location"]))
        done = await client.get("/login/corp/authorized", query_string=query)
        assert done.status_code == 302
        me = await client.get("/")
        assert await me.get_json() == {"sub": "user-42", "email": "ada@example.test"}
    assert example.signed_in == ["user-42"]
