"""An issuer template with ``{tenantid}``, as in the Microsoft preset (multi-tenant endpoints)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from quart import Quart

from quart_oauthlib import MemoryTokenStore, oauth_error
from tests.ext.oidc_support import TamperingProvider, login, make_app, running
from tests.fake_provider.serving import TLS


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[TamperingProvider]:
    async with running(tls) as p:
        p.metadata_overrides["authorization_response_iss_parameter_supported"] = False
        yield p


def template(provider: TamperingProvider) -> str:
    return f"{provider.issuer}/{{tenantid}}/v2.0"


async def attempt(app: Quart, provider: TamperingProvider) -> tuple[int, list[str]]:
    seen: list[str] = []

    def error(sender: Quart, **kwargs: Any) -> None:
        seen.append(kwargs["error"])

    with oauth_error.connected_to(error):
        async with app.test_app() as test_app:
            response = await login(test_app.test_client(), provider, iss=None)
    return response.status_code, seen


async def test_multi_tenant_metadata_checks_each_token_against_its_tid(
    tls: TLS, provider: TamperingProvider
) -> None:
    provider.metadata_overrides["issuer"] = template(provider)  # "common": the template itself
    store = MemoryTokenStore()
    app, _ = make_app(tls, provider, store=store, issuer=template(provider))
    provider.claim_changes = {"iss": f"{provider.issuer}/t-1/v2.0", "tid": "t-1"}
    assert await attempt(app, provider) == (302, [])
    assert len(store) == 1
    provider.claim_changes = {"iss": f"{provider.issuer}/t-1/v2.0", "tid": "t-2"}
    assert await attempt(app, provider) == (400, ["id_token_issuer"])
    provider.claim_changes = {"iss": template(provider)}  # no tid: never the template itself
    assert await attempt(app, provider) == (400, ["id_token_issuer"])


async def test_single_tenant_metadata_pins_the_issuer(
    tls: TLS, provider: TamperingProvider
) -> None:
    provider.metadata_overrides["issuer"] = f"{provider.issuer}/t-1/v2.0"
    app, _ = make_app(tls, provider, issuer=template(provider))
    provider.claim_changes = {"iss": f"{provider.issuer}/t-1/v2.0", "tid": "t-1"}
    assert await attempt(app, provider) == (302, [])
    provider.claim_changes = {"iss": f"{provider.issuer}/t-2/v2.0", "tid": "t-2"}
    assert await attempt(app, provider) == (400, ["id_token_issuer"])


@pytest.mark.parametrize("issuer", ["https://evil.example/t-1/v2.0", "{base}/a/b/v2.0"])
async def test_metadata_outside_the_template_is_refused(
    tls: TLS, provider: TamperingProvider, issuer: str
) -> None:
    provider.metadata_overrides["issuer"] = issuer.format(base=provider.issuer)
    app, _ = make_app(tls, provider, issuer=template(provider))
    async with app.test_app() as test_app:
        response = await test_app.test_client().get("/login/corp")
    assert response.status_code == 502
