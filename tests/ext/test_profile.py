"""``await oauth.<name>.profile()`` end to end: login, then userinfo mapped to a Profile."""

from __future__ import annotations

from typing import Any

from quart import Quart, jsonify

from quart_oauthlib import QuartOAuth
from quart_oauthlib.errors import TokenNotFoundError, UserInfoError
from quart_oauthlib.providers._helpers import first
from tests.ext.conftest import corp_settings, follow_provider, login, make_app
from tests.fake_provider.oauth2 import OAuth2Provider
from tests.fake_provider.serving import TLS


def profile_app(tls: TLS, settings: dict[str, Any]) -> Quart:
    app, oauth = make_app(tls, {"corp": settings})

    @app.route("/me")
    async def me() -> Any:
        try:
            profile = await oauth.corp.profile()
        except TokenNotFoundError:
            return jsonify(error="signed out"), 401
        except UserInfoError as exc:
            return jsonify(error=str(exc), status=exc.status), 502
        return jsonify(
            id=profile.id,
            email=profile.email,
            name=profile.name,
            avatar_url=profile.avatar_url,
            raw=dict(profile.raw),
        )

    return app


async def me_after_login(app: Quart, tls: TLS) -> tuple[int, Any]:
    async with app.test_app() as test_app:
        client = test_app.test_client()
        assert (await client.get("/me")).status_code == 401  # no token yet
        assert (await login(client, tls)).status_code == 302
        response = await client.get("/me")
        return response.status_code, await response.get_json()


async def test_profile_maps_the_userinfo_answer(tls: TLS, provider: OAuth2Provider) -> None:
    settings = corp_settings(provider, profile={"avatar_url": "client_id"})
    status, data = await me_after_login(profile_app(tls, settings), tls)
    assert status == 200
    assert data["id"] == "alice" and data["name"] == "Alice" and data["email"] is None
    assert data["avatar_url"] == "web-client"  # any path can be mapped
    assert data["raw"]["scope"] == ["read"]


async def test_token_in_the_query(tls: TLS, provider: OAuth2Provider) -> None:
    # No Authorization header is sent: the fake provider finds the token in the query.
    settings = corp_settings(provider, userinfo_token="query")
    status, data = await me_after_login(profile_app(tls, settings), tls)
    assert status == 200 and data["id"] == "alice"


async def test_templated_headers_replace_the_bearer_header(
    tls: TLS, provider: OAuth2Provider
) -> None:
    settings = corp_settings(
        provider,
        userinfo_url=provider.url("/echo-headers"),
        userinfo_method="POST",
        userinfo_headers={"Authorization": "OAuth {access_token}", "X-App": "{client_id}"},
        profile={"id": first("X-App", "x-app"), "name": first("Authorization", "authorization")},
    )
    status, data = await me_after_login(profile_app(tls, settings), tls)
    assert status == 200 and data["id"] == "web-client"
    assert data["name"].startswith("OAuth ") and "Bearer" not in data["name"]


async def test_token_fields_fill_the_userinfo_url(tls: TLS, provider: OAuth2Provider) -> None:
    settings = corp_settings(provider, userinfo_url=provider.url("/api/user?t={token_type}"))
    status, data = await me_after_login(profile_app(tls, settings), tls)
    assert status == 200 and data["id"] == "alice"


async def test_a_refused_userinfo_request_is_a_user_info_error(
    tls: TLS, provider: OAuth2Provider
) -> None:
    # The token is withheld for the templated header, which the provider does not read.
    settings = corp_settings(provider, userinfo_headers={"X-Token": "{access_token}"})
    status, data = await me_after_login(profile_app(tls, settings), tls)
    assert status == 502 and data["status"] == 401
    assert "answered status 401" in data["error"]


def test_oauth_exposes_profile_on_both_session_kinds() -> None:
    # The OAuth 1 presets' profile() runs end to end in test_oauth1_login.py.
    from quart_oauthlib.extension.bound import BoundOAuth1Session, BoundOAuth2Session

    assert callable(BoundOAuth2Session.profile) and callable(BoundOAuth1Session.profile)
    assert QuartOAuth  # the extension is what binds them


async def test_form_post_callback(tls: TLS, provider: OAuth2Provider) -> None:
    """``response_mode=form_post`` (Apple): the provider POSTs the code to the callback."""
    settings = corp_settings(provider, authorize_params={"response_mode": "form_post"})
    app = profile_app(tls, settings)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        response = await client.get("/login/corp")
        back = await follow_provider(tls, response.headers["Location"])
        answer = await client.post(back.path, form=dict(back.query))
        assert answer.status_code == 302, await answer.get_data(as_text=True)
        me = await client.get("/me")
        assert me.status_code == 200 and (await me.get_json())["id"] == "alice"
    plain, _ = make_app(tls, {"corp": corp_settings(provider)})
    async with plain.test_app() as test_app:
        refused = await test_app.test_client().post("/login/corp/authorized", form={"code": "x"})
        assert refused.status_code == 405  # only form_post providers take a POST
