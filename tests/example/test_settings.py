"""Which providers the example app offers, from the environment and ``.env``."""

from __future__ import annotations

from pathlib import Path

import pytest
from quart import Quart

from example_app.app import create_app
from example_app.settings import ExampleSettings, providers_from_env, read_env_file
from quart_oauthlib import ConfigurationError


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
