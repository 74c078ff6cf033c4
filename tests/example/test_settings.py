"""Which providers the example app offers, from the environment and ``.env``."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from quart import Quart

from example_app.app import create_app
from example_app.extensions import oauth
from example_app.settings import (
    ExampleSettings,
    placeholders_of,
    providers_from_env,
    read_env_file,
)
from quart_oauthlib import ConfigurationError
from quart_oauthlib.providers import PRESETS
from quart_oauthlib.providers.settings import ProviderSettings


def test_only_the_dev_provider_by_default() -> None:
    settings = ExampleSettings.build({}, dev_provider_url="http://127.0.0.1:5001")
    assert list(settings.providers) == ["dev"]
    assert settings.providers["dev"]["token_url"] == "http://127.0.0.1:5001/token"


def test_preset_credentials_add_providers() -> None:
    env = {
        "GITHUB_CLIENT_ID": "gh-id",
        "GITHUB_CLIENT_SECRET": "gh-secret",
        "MICROSOFT_CLIENT_ID": "ms-id",
        "MICROSOFT_CLIENT_SECRET": "ms-secret",
        "MICROSOFT_TENANT": "contoso.example",
        "X_CLIENT_ID": "alias-is-not-a-second-button",
        "X_CLIENT_SECRET": "alias-is-not-a-second-button",
    }
    assert providers_from_env(env) == {
        "github": {"client_id": "gh-id", "client_secret": "gh-secret"},
        "microsoft": {
            "client_id": "ms-id",
            "client_secret": "ms-secret",
            "tenant": "contoso.example",
        },
    }


def test_half_configured_provider_is_left_out(caplog: pytest.LogCaptureFixture) -> None:
    assert providers_from_env({"GOOGLE_CLIENT_ID": "id-only"}) == {}
    assert "GOOGLE_CLIENT_SECRET" in caplog.text
    assert "id-only" not in caplog.text


def credentials(*names: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for name in names:
        env[f"{name}_CLIENT_ID"] = f"{name.lower()}-id"
        env[f"{name}_CLIENT_SECRET"] = f"{name.lower()}-secret-value"
    return env


def test_placeholders_come_from_the_presets() -> None:
    assert placeholders_of(PRESETS["okta"]) == ["domain"]
    assert placeholders_of(PRESETS["shopify"]) == ["shop"]
    assert placeholders_of(PRESETS["keycloak"]) == ["domain", "realm"]
    assert placeholders_of(PRESETS["cognito"]) == ["domain", "region", "realm"]  # realm: pool id
    assert placeholders_of(PRESETS["stackexchange"]) == ["api_key"]
    assert placeholders_of(PRESETS["microsoft"]) == ["tenant"]
    # {access_token} and {uid} are filled from the token, not from settings.
    assert placeholders_of(PRESETS["hubspot"]) == []
    assert placeholders_of(PRESETS["github"]) == []


@pytest.mark.usefixtures("insecure_transport")
def test_per_tenant_presets_read_their_placeholders() -> None:
    env = credentials("OKTA", "SHOPIFY", "KEYCLOAK") | {
        "OKTA_DOMAIN": "dev-123.okta.com",
        "SHOPIFY_SHOP": "my-shop",
        "KEYCLOAK_DOMAIN": "sso.example.org",
        "KEYCLOAK_REALM": "staff",
    }
    providers = providers_from_env(env)
    assert providers["okta"] == {
        "client_id": "okta-id",
        "client_secret": "okta-secret-value",
        "domain": "dev-123.okta.com",
    }
    assert providers["shopify"]["shop"] == "my-shop"
    assert (providers["keycloak"]["domain"], providers["keycloak"]["realm"]) == (
        "sso.example.org",
        "staff",
    )
    # ... and the app starts with them: the URLs are filled in.
    settings = ExampleSettings.build(env, dev_provider_url="http://127.0.0.1:5001")
    app = create_app(settings)
    okta = oauth.provider("okta", app)
    assert okta.authorize_url == "https://dev-123.okta.com/oauth2/default/v1/authorize"
    assert oauth.provider("shopify", app).token_url == (
        "https://my-shop.myshopify.com/admin/oauth/access_token"
    )


@pytest.mark.usefixtures("insecure_transport")
def test_missing_placeholder_leaves_the_provider_out(caplog: pytest.LogCaptureFixture) -> None:
    env = credentials("OKTA", "GITHUB")
    with caplog.at_level(logging.WARNING, logger="example_app.settings"):
        settings = ExampleSettings.build(env, dev_provider_url="http://127.0.0.1:5001")
    # Okta is left out; the dev login and GitHub stay, and the app builds.
    assert list(settings.providers) == ["dev", "github"]
    create_app(settings)
    assert "OKTA_DOMAIN" in caplog.text
    assert "okta is left out" in caplog.text
    assert "okta-secret-value" not in caplog.text


def test_only_the_missing_placeholders_are_named(caplog: pytest.LogCaptureFixture) -> None:
    env = credentials("KEYCLOAK", "COGNITO") | {"KEYCLOAK_DOMAIN": "sso.example.org"}
    with caplog.at_level(logging.WARNING, logger="example_app.settings"):
        assert providers_from_env(env) == {}
    assert "needs KEYCLOAK_REALM" in caplog.text
    assert "KEYCLOAK_DOMAIN" not in caplog.text
    assert "needs COGNITO_DOMAIN and COGNITO_REGION" in caplog.text


def test_a_domain_written_as_a_url_is_understood() -> None:
    env = credentials("AUTH0") | {"AUTH0_DOMAIN": " https://example.eu.auth0.com/ "}
    assert providers_from_env(env)["auth0"]["domain"] == "example.eu.auth0.com"


def test_microsoft_tenant_is_optional() -> None:
    assert providers_from_env(credentials("MICROSOFT")) == {
        "microsoft": {"client_id": "microsoft-id", "client_secret": "microsoft-secret-value"}
    }


def test_settings_the_library_refuses_leave_the_provider_out(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    broken = ProviderSettings(
        authorize_url="https://{domain}/authorize", token_url="ftp://{domain}/token"
    )
    monkeypatch.setattr("example_app.settings.PRESETS", {"acme": broken})
    env = credentials("ACME") | {"ACME_DOMAIN": "acme.example"}
    with caplog.at_level(logging.WARNING, logger="example_app.settings"):
        assert providers_from_env(env) == {}
    assert "acme is left out" in caplog.text
    assert "token_url" in caplog.text
    assert "acme-secret-value" not in caplog.text


def test_no_provider_at_all_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="No provider to sign in with"):
        ExampleSettings.build({}, dev_provider_url=None)


def test_env_file(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(
        "# credentials\n"
        "GITHUB_CLIENT_ID=abc\n"
        "export GITHUB_CLIENT_SECRET = 'quoted value'\n"
        'EXAMPLE_PORT="8000"\n'
        "\n"
        "not a setting\n",
        encoding="utf-8",
    )
    assert read_env_file(path) == {
        "GITHUB_CLIENT_ID": "abc",
        "GITHUB_CLIENT_SECRET": "quoted value",
        "EXAMPLE_PORT": "8000",
    }
    assert read_env_file(tmp_path / "missing.env") == {}


async def test_home_page_has_a_button_per_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    env = {"GITHUB_CLIENT_ID": "gh-id", "GITHUB_CLIENT_SECRET": "gh-secret"}
    app: Quart = create_app(ExampleSettings.build(env, dev_provider_url="http://127.0.0.1:1"))
    async with app.test_app() as test_app:
        page = await (await test_app.test_client().get("/")).get_data(as_text=True)
    assert "Sign in with Dev Provider" in page
    assert "Sign in with GitHub" in page
    assert 'href="/login/github?next=/github/profile"' in page
