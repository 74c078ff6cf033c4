"""Configuration is checked once, at ``init_app``, with messages naming provider and key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from quart import Quart

from quart_oauthlib import ConfigurationError, MemoryTokenStore, QuartOAuth, SessionTokenStore

GOOD = {"client_id": "id", "client_secret": "s3cr3t-value"}
CORP = {
    **GOOD,
    "authorize_url": "https://corp.example/authorize",
    "token_url": "https://corp.example/token",
}


def init(providers: Any, oauth: QuartOAuth | None = None, **config: Any) -> Quart:
    app = Quart(__name__)
    app.config["OAUTH_PROVIDERS"] = providers
    app.config.update(config)
    (oauth or QuartOAuth()).init_app(app)
    return app


@pytest.mark.parametrize(
    ("providers", "message"),
    [
        ({"github": {"client_secret": "x"}}, r"OAUTH_PROVIDERS\['github'\]: missing 'client_id'"),
        ({"corp": GOOD}, r"\['corp'\]: missing 'authorize_url'. 'corp' is no known preset"),
        (
            {"corp": {**GOOD, "preset": "gihub"}},
            r"\['corp'\]: unknown preset 'gihub'. Did you mean 'github'\?",
        ),
        (
            {"corp": {**CORP, "token_url": "http://corp.example/token"}},
            r"\['corp'\]: token_url uses http://.*OAUTHLIB_INSECURE_TRANSPORT",
        ),
        ({"corp": {**CORP, "token_url": "ftp://x/y"}}, r"token_url must be an absolute https"),
        ({"corp": {**CORP, "client_secert": "x"}}, r"unknown key 'client_secert'.*'client_secret'"),
        ({"github": {"client_id": "x"}}, r"\['github'\]: missing 'client_secret'"),
        ({"my.corp": CORP}, r"provider names must start with a letter"),
        ({"corp": {**CORP, "pkce": "S512"}}, r"pkce must be"),
        ({"corp": {**CORP, "scope": 3}}, r"scope must be"),
        ({"corp": {**CORP, "token_endpoint_auth_method": "jwt"}}, r"token_endpoint_auth_method"),
        ({"corp": {**CORP, "compliance_fix": "facebook"}}, r"compliance_fix must be a callable"),
        ({"plurk": {"client_key": "k", "client_secret": "s"}}, r"missing 'request_token_url'"),
        ({"corp": "not a dict"}, r"must be a dict"),
        (["corp"], r"OAUTH_PROVIDERS must be a dict"),
    ],
)
def test_bad_config_fails_at_init_app(providers: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as caught:
        init(providers)
    assert "s3cr3t-value" not in str(caught.value)


def test_http_endpoints_allowed_with_insecure_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    app = init({"corp": {**CORP, "token_url": "http://localhost:8000/token"}})
    assert (
        app.extensions["quart_oauthlib"].providers["corp"].settings.token_url.startswith("http://")
    )


def test_preset_values_can_be_overridden() -> None:
    app = init({"github": {**GOOD, "scope": "repo read:org", "pkce": None}})
    config = app.extensions["quart_oauthlib"].providers["github"].settings
    assert config.scope == ("repo", "read:org")
    assert config.pkce is None
    assert config.authorize_url == "https://github.com/login/oauth/authorize"
    assert "s3cr3t-value" not in repr(config)


def test_two_providers_on_one_preset() -> None:
    app = init({"work": {**GOOD, "preset": "github"}, "home": {**GOOD, "preset": "github"}})
    rules = {r.endpoint: r.rule for r in app.url_map.iter_rules()}
    assert rules["work.login"] == "/login/work"
    assert rules["home.callback"] == "/login/home/authorized"
    assert rules["home.logout"] == "/logout/home"


def test_oauth1_inferred_from_client_key() -> None:
    tumblr = {
        "client_key": "k",
        "client_secret": "s",
        "request_token_url": "https://www.tumblr.com/oauth/request_token",
        "authorize_url": "https://www.tumblr.com/oauth/authorize",
        "access_token_url": "https://www.tumblr.com/oauth/access_token",
    }
    config = init({"tumblr": tumblr}).extensions["quart_oauthlib"].providers["tumblr"].settings
    assert config.version == 1 and config.client_id == "k" and config.pkce is None


def test_store_from_config_and_constructor() -> None:
    assert isinstance(init({}).extensions["quart_oauthlib"].store, SessionTokenStore)
    memory = init({}, OAUTH_TOKEN_STORE="memory").extensions["quart_oauthlib"].store
    assert isinstance(memory, MemoryTokenStore)
    mine = MemoryTokenStore()
    assert init({}, QuartOAuth(store=mine)).extensions["quart_oauthlib"].store is mine
    with pytest.raises(ConfigurationError, match="OAUTH_TOKEN_STORE"):
        init({}, OAUTH_TOKEN_STORE="redis")


def test_missing_ca_bundle(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="OAUTH_CA_BUNDLE: cannot load"):
        init({}, OAUTH_CA_BUNDLE=str(tmp_path / "missing.pem"))


def test_init_app_twice_is_an_error() -> None:
    app = init({})
    with pytest.raises(ConfigurationError, match="already initialised"):
        QuartOAuth(app)


def test_attribute_access_outside_a_request() -> None:
    oauth = QuartOAuth()
    assert not hasattr(oauth, "github")
    app = init({"github": GOOD}, oauth)
    with pytest.raises(RuntimeError, match="inside a request"):
        oauth["github"]  # no app context at all
    assert app.extensions["quart_oauthlib"].provider("github").name == "github"


async def test_item_access_outside_a_request_says_so() -> None:
    oauth = QuartOAuth()
    app = init({"github": GOOD}, oauth)
    async with app.app_context():
        with pytest.raises(RuntimeError, match="inside a request"):
            oauth["github"]
        assert oauth.provider("github").client_id == "id"
