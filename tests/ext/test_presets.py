"""Every preset resolves into a complete, https-only provider; config overrides it."""

from __future__ import annotations

import json

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from quart_oauthlib.client._token_endpoint import TokenResponse
from quart_oauthlib.client.oauth2_session import OAuth2Session
from quart_oauthlib.providers import PRESETS
from quart_oauthlib.providers.settings import resolve_provider

CREDS = {"client_id": "id", "client_secret": "secret"}
DISCOVERED = {
    "google": "https://accounts.google.com/.well-known/openid-configuration",
    "gitlab": "https://gitlab.com/.well-known/openid-configuration",
    "microsoft": "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration",
    # OpenID Connect with their endpoints configured: the metadata gives issuer and keys.
    "slack": "https://slack.com/.well-known/openid-configuration",
    "linkedin": "https://www.linkedin.com/oauth/.well-known/openid-configuration",
}
EXPECTED_USERINFO = {
    "github": "https://api.github.com/user",
    "google": None,  # OpenID Connect: discovered, like the other endpoints
    "gitlab": None,
    "microsoft": None,
    "facebook": "https://graph.facebook.com/me?fields=id,name,email",
    "discord": "https://discord.com/api/users/@me",
    "slack": "https://slack.com/api/openid.connect.userInfo",
    "twitter": "https://api.x.com/2/users/me",
    "x": "https://api.x.com/2/users/me",
    "twitter_oauth1": "https://api.x.com/1.1/account/verify_credentials.json",
    "bitbucket": "https://api.bitbucket.org/2.0/user",
    "linkedin": "https://api.linkedin.com/v2/userinfo",
}


def test_the_first_presets_are_kept() -> None:
    assert set(EXPECTED_USERINFO) <= set(PRESETS)  # tests/providers/ covers the catalogue


@pytest.mark.parametrize("name", sorted(EXPECTED_USERINFO))
def test_preset_resolves(name: str) -> None:
    config = resolve_provider(name, CREDS, PRESETS, insecure_transport=False)
    assert config.userinfo_url == EXPECTED_USERINFO[name]
    urls = [config.authorize_url, config.token_url, config.request_token_url]
    urls += [config.access_token_url, config.revoke_url, config.refresh_url]
    for url in filter(None, urls):
        assert url.startswith("https://") and "{" not in url
    assert config.server_metadata_url == DISCOVERED.get(name)
    if config.server_metadata_url and not config.authorize_url:
        assert not config.token_url  # discovered on first use
    elif config.version == 2:
        assert config.token_url and config.refresh_url == config.token_url
        assert config.token_endpoint_auth_method in ("client_secret_basic", "client_secret_post")
    else:
        assert name == "twitter_oauth1"
        assert config.request_token_url and config.access_token_url


def test_microsoft_tenant() -> None:
    default = resolve_provider("microsoft", CREDS, PRESETS, insecure_transport=False)
    assert default.server_metadata_url == DISCOVERED["microsoft"]
    assert default.issuer == "https://login.microsoftonline.com/{tenantid}/v2.0"
    mine = resolve_provider(
        "microsoft",
        {**CREDS, "tenant": "contoso.onmicrosoft.com"},
        PRESETS,
        insecure_transport=False,
    )
    assert mine.server_metadata_url == (
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0"
        "/.well-known/openid-configuration"
    )


def test_discovery_presets_keep_overrides() -> None:
    config = resolve_provider(
        "google",
        {**CREDS, "userinfo_url": "https://www.googleapis.com/oauth2/v3/userinfo", "scope": "x"},
        PRESETS,
        insecure_transport=False,
    )
    assert config.userinfo_url == "https://www.googleapis.com/oauth2/v3/userinfo"
    assert config.scope == ("x",)  # "openid" is added once discovery says OpenID


def test_twitter_requires_pkce_and_linkedin_has_it_off() -> None:
    assert resolve_provider("twitter", CREDS, PRESETS, insecure_transport=False).pkce == "S256"
    assert resolve_provider("linkedin", CREDS, PRESETS, insecure_transport=False).pkce is None


def _answer(text: str, content_type: str = "application/json") -> TokenResponse:
    headers = CIMultiDictProxy(CIMultiDict({"Content-Type": content_type}))
    return TokenResponse(status=200, headers=headers, url="https://x/token", text=text)


def _hooks(name: str) -> list[object]:
    config = resolve_provider(name, CREDS, PRESETS, insecure_transport=False)
    assert config.compliance_fix is not None
    session = config.compliance_fix(OAuth2Session("id"))
    return list(session.compliance_hook["access_token_response"])


def test_facebook_preset_applies_its_compliance_fix() -> None:
    (hook,) = _hooks("facebook")
    fixed = hook(_answer("access_token=abc&expires=5183999", "text/plain"))  # type: ignore[operator]
    token = json.loads(fixed.text)
    assert token["access_token"] == "abc" and token["token_type"] == "Bearer"
    assert int(token["expires_in"]) == 5183999


def test_slack_preset_applies_its_compliance_fix() -> None:
    hooks = _hooks("slack")
    answer = _answer(json.dumps({"ok": False, "error": "invalid_code"}))
    for hook in hooks:
        answer = hook(answer)  # type: ignore[operator]
    assert json.loads(answer.text)["error"] == "invalid_code"
