"""OAuth-only presets that get an ID token anyway: it is never stored nor signalled unchecked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from quart import Quart
from yarl import URL

from quart_oauthlib import MemoryTokenStore, QuartOAuth
from quart_oauthlib.extension.flows.oauth2 import OAuth2Flow
from quart_oauthlib.providers import PRESETS
from quart_oauthlib.signals import oauth_authorized
from tests.ext.oidc_support import TamperingProvider, authorize, running
from tests.fake_provider.oidc import CLIENT_ID, CLIENT_SECRET
from tests.fake_provider.serving import TLS


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[TamperingProvider]:
    async with running(tls) as p:
        yield p


@pytest.mark.parametrize("preset", ["line", "paypal"])
async def test_an_oauth_only_presets_id_token_is_dropped(
    tls: TLS, provider: TamperingProvider, preset: str
) -> None:
    assert (
        PRESETS[preset].get("server_metadata_url") is None
    )  # OAuth only: nothing to check it with
    store = MemoryTokenStore()
    app = Quart(__name__)
    app.config["SECRET_KEY"] = "test-secret-key"
    app.config["OAUTH_CA_BUNDLE"] = tls.ca_pem_path
    app.config["OAUTH_PROVIDERS"] = {
        "corp": {
            "preset": preset,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "authorize_url": f"{provider.issuer}/authorize",
            "token_url": f"{provider.issuer}/token",
        }
    }
    QuartOAuth(app, store=store)
    assert isinstance(app.extensions["quart_oauthlib"].provider("corp").flow, OAuth2Flow)
    received: list[dict[str, Any]] = []

    async def on_authorized(sender: Any, **extra: Any) -> None:
        received.append(extra)

    with oauth_authorized.connected_to(on_authorized):
        async with app.test_app() as test_app:
            client = test_app.test_client()
            location = URL((await client.get("/login/corp")).headers["Location"])
            query = authorize(provider, location, iss=None)
            answer = await client.get("/login/corp/authorized", query_string=query)
    assert answer.status_code == 302
    assert provider.last_id_token is not None  # the provider did send one
    ((_, token),) = store._tokens.items()
    assert "id_token" not in token
    (extra,) = received
    assert "id_token" not in extra["token"]
    assert "id_token_claims" not in extra
