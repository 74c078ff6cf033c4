"""Access tokens living 30 s or less: a fresh one is usable at once, through the extension."""

from __future__ import annotations

import pytest

from quart_oauthlib import MemoryTokenStore, QuartOAuth
from tests.ext.conftest import CALLBACKS, SECRET, corp_settings, login, make_app
from tests.fake_provider.oauth2 import Client, running_provider
from tests.fake_provider.serving import TLS


@pytest.mark.parametrize("lifetime", [5, 20, 30])
async def test_a_short_lived_token_is_stored_and_used_without_a_refresh(
    tls: TLS, lifetime: int
) -> None:
    clients = [Client("web-client", SECRET, list(CALLBACKS))]
    async with running_provider(tls, clients=clients, access_token_lifetime=lifetime) as provider:
        store = MemoryTokenStore()
        app, _ = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))
        async with app.test_app() as test_app:
            client = test_app.test_client()
            done = await login(client, tls)
            assert done.status_code == 302, await done.get_data(as_text=True)
            response = await client.get("/profile")
            assert response.status_code == 200
            assert (await response.get_json())["status"] == 200
        assert provider.grant_counts["refresh_token"] == 0  # fresh: not called expired
        ((_, token),) = store._tokens.items()
        assert token["expires_in"] == lifetime
