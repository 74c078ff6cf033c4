"""FAPI 2.0 at login time: only PS256, ES256 or EdDSA ID tokens, and RFC 9207 ``iss`` always.

The settings side of the profile (PAR, DPoP, private_key_jwt...) is in
test_modern_settings.py and, end to end, against oidc-provider in tests/peer. Here the
local OpenID provider signs as told, and only the profile flag is set on the
discovered config, so that each check is seen on its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest
from quart import Quart

from quart_oauthlib import MemoryTokenStore
from quart_oauthlib.extension.state import get_state
from tests.ext.oidc_support import TamperingProvider, login, make_app, running
from tests.fake_provider.serving import TLS


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[TamperingProvider]:
    async with running(tls) as running_provider:
        yield running_provider


async def fapi2_login(
    app: Quart, provider: TamperingProvider, store: MemoryTokenStore, **options: Any
) -> tuple[int, bool]:
    """Log in with the profile flag set; the callback's status, and whether a token was kept."""
    async with app.test_app() as test_app:
        async with app.test_request_context("/"):
            corp = get_state().provider("corp")
            config = await corp.resolve(get_state().http_session())
            corp._config = dataclasses.replace(config, security_profile="fapi2")
        response = await login(test_app.test_client(), provider, **options)
    return response.status_code, bool(store._tokens)


@pytest.mark.parametrize(("alg", "accepted"), [("RS256", False), ("ES256", True)])
async def test_only_fapi2_algorithms_sign_id_tokens(
    tls: TLS, provider: TamperingProvider, alg: str, accepted: bool
) -> None:
    store = MemoryTokenStore()
    app, _ = make_app(tls, provider, store=store)
    provider.sign_options["alg"] = alg  # both keys are in the provider's JWKS
    status, stored = await fapi2_login(app, provider, store)
    assert (status == 302) is accepted
    assert stored is accepted


async def test_iss_is_required_even_where_the_metadata_does_not_promise_it(
    tls: TLS, provider: TamperingProvider
) -> None:
    store = MemoryTokenStore()
    app, _ = make_app(tls, provider, store=store)
    provider.sign_options["alg"] = "ES256"
    original = provider.metadata

    def without_iss_promise() -> dict[str, Any]:
        return {**original(), "authorization_response_iss_parameter_supported": False}

    provider.metadata = without_iss_promise  # type: ignore[method-assign]
    status, stored = await fapi2_login(app, provider, store, iss=None)
    assert status == 400 and not stored
    calls = provider.calls["token"]
    assert calls == 0  # refused before the code was spent
