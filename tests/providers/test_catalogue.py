"""Every preset: it resolves, its URLs are https, and its userinfo mapping makes a Profile.

The sample answers in ``data/<name>.json`` were written by us from each
provider's public API documentation, in the shape it documents.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from quart_oauthlib.profile import Profile, map_profile
from quart_oauthlib.providers import PRESETS
from quart_oauthlib.providers.settings import ProviderConfig, resolve_provider

DATA = Path(__file__).parent / "data"
CREDS = {"client_id": "id", "client_secret": "secret"}
#: The issue's list, plus the aliases and extras we ship.
REQUIRED = {
    "github", "gitlab", "bitbucket", "google", "microsoft", "microsoft_consumers", "apple",
    "facebook", "instagram", "twitter", "twitter_oauth1", "linkedin", "discord", "slack",
    "twitch", "spotify", "reddit", "dropbox", "box", "zoom", "salesforce", "hubspot", "shopify",
    "okta", "auth0", "keycloak", "cognito", "strava", "fitbit", "tumblr", "yahoo", "yandex", "vk",
    "weibo", "atlassian", "notion", "figma", "heroku", "digitalocean", "patreon",
    "stackexchange", "mailchimp", "nextcloud", "gitea", "battlenet",
}  # fmt: skip
URL_FIELDS = (
    "authorize_url",
    "token_url",
    "refresh_url",
    "revoke_url",
    "userinfo_url",
    "request_token_url",
    "access_token_url",
)


def canonical(name: str) -> str:
    """The first name of a preset (``x`` is ``twitter``)."""
    return next(other for other, preset in PRESETS.items() if preset is PRESETS[name])


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / f"{canonical(name)}.json").read_text("utf-8"))
    return data


def resolve(name: str) -> ProviderConfig:
    settings = {**CREDS, **sample(name)["settings"]}
    return resolve_provider(name, settings, PRESETS, insecure_transport=False)


def test_the_catalogue_is_large_and_covers_the_issue() -> None:
    assert REQUIRED <= set(PRESETS)
    assert len({id(preset) for preset in PRESETS.values()}) >= 50


def test_every_preset_has_a_sample_and_no_sample_is_stray() -> None:
    assert {p.stem for p in DATA.glob("*.json")} == {canonical(n) for n in PRESETS}


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_resolves_with_https_urls(name: str) -> None:
    config = resolve(name)
    urls = [getattr(config, key) for key in URL_FIELDS]
    urls.append(getattr(config, "server_metadata_url", None))
    discovered = getattr(config, "server_metadata_url", None)  # endpoints come on first use
    assert config.authorize_url or discovered
    for url in filter(None, urls):
        assert url.startswith("https://"), url
        assert "{tenant}" not in url and "{domain}" not in url and "{shop}" not in url
    if config.version == 1:
        assert config.request_token_url and config.access_token_url and config.pkce is None
    else:
        assert config.token_url or discovered
    # Apple has no userinfo endpoint: its profile comes from the ID token's claims.
    assert config.userinfo_url or discovered or name == "apple"
    assert config.scope_separator in (" ", ",")


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_maps_its_userinfo_answer(name: str) -> None:
    data = sample(name)
    config = resolve(name)
    profile = map_profile(data["answer"], config.profile, provider=name)
    assert profile == Profile(**data["profile"], raw=data["answer"])


#: OpenID presets whose ID tokens our validator cannot check, so they stay plain OAuth 2
#: (no metadata: the extension sends no nonce and must not keep their id_token).
OPENID_WITHOUT_DISCOVERY = {
    # Web login signs ID tokens with HS256 (the channel secret), while the metadata
    # advertises ES256 only: every ID token would be refused as an unadvertised alg.
    "line",
    # The ID token has no "sub" (claims_supported lists user_id), which OIDC Core
    # requires, and the userinfo answer has none either.
    "paypal",
}


def _scopes(config: ProviderConfig) -> set[str]:
    scope = config.scope
    if isinstance(scope, str):
        return set(scope.replace(",", " ").split())
    return set(scope or ())


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_openid_preset_has_a_metadata_url(name: str) -> None:
    """ID tokens are checked (nonce, signature, issuer, RFC 9207) only with the metadata."""
    config = resolve(name)
    if "openid" not in _scopes(config) or canonical(name) in OPENID_WITHOUT_DISCOVERY:
        return
    assert config.server_metadata_url, f"{name} asks for openid but has no server_metadata_url"
    assert config.server_metadata_url.startswith("https://")
    assert "/.well-known/" in config.server_metadata_url


def test_the_exempted_presets_still_ask_for_openid() -> None:
    """Drop an exemption once its preset can be checked (or stops asking for openid)."""
    for name in OPENID_WITHOUT_DISCOVERY:
        config = resolve(name)
        assert "openid" in _scopes(config) and not config.server_metadata_url
