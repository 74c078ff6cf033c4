"""``POST /logout/<name>``: revoke at the provider where it can, forget the token."""

from __future__ import annotations

from quart_oauthlib import MemoryTokenStore, QuartOAuth
from tests.ext.conftest import corp_settings, login, make_app
from tests.fake_provider.oauth2 import OAuth2Provider
from tests.fake_provider.serving import TLS


async def test_logout_revokes_and_forgets(tls: TLS, provider: OAuth2Provider) -> None:
    store = MemoryTokenStore()
    app, _ = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        ((_, token),) = store._tokens.items()
        response = await client.post("/logout/corp", form={"next": "/bye"})
        assert response.status_code == 303
        assert response.headers["Location"] == "/bye"
        assert len(store) == 0
        assert not provider.is_active(token["access_token"])
        assert not provider.is_active(token["refresh_token"])
        assert (await client.get("/profile")).status_code == 302


async def test_logout_without_revocation_endpoint(tls: TLS, provider: OAuth2Provider) -> None:
    app, _ = make_app(tls, {"corp": corp_settings(provider, revoke_url=None)})
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        response = await client.post("/logout/corp", form={"next": "https://evil.example/"})
        assert response.headers["Location"] == "/"
        assert (await client.get("/profile")).status_code == 302
        async with client.session_transaction() as session:
            assert "_oauth_tokens" not in session


async def test_logout_survives_an_unreachable_revocation_endpoint(
    tls: TLS, provider: OAuth2Provider
) -> None:
    app, _ = make_app(tls, {"corp": corp_settings(provider, revoke_url="https://127.0.0.1:9/r")})
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        response = await client.post("/logout/corp", headers={"Accept": "application/json"})
        assert response.status_code == 204
        assert (await client.get("/profile")).status_code == 302


async def test_logout_is_post_only_and_same_origin(tls: TLS, provider: OAuth2Provider) -> None:
    app, _ = make_app(tls, {"corp": corp_settings(provider)})
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        assert (await client.get("/logout/corp")).status_code == 405
        forged = await client.post("/logout/corp", headers={"Origin": "https://evil.example"})
        assert forged.status_code == 403
        assert (await client.get("/profile")).status_code == 200
        ours = await client.post("/logout/corp", headers={"Origin": "http://localhost"})
        assert ours.status_code == 303
