"""Every preset with an API names its base, so ``oauth.<name>.get("path")`` works."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from quart_oauthlib.providers import PRESETS

#: Userinfo on a host that serves the provider's API (not its login server).
API_HOST_MARKS = ("api", "graph.", "oauth.reddit.com", "slack.com", "strava.com", "patreon.com")


def _on_api_host(url: str) -> bool:
    host = urlsplit(url).hostname or url.split("/")[2]
    return any(mark in host for mark in API_HOST_MARKS)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_with_a_userinfo_url_on_an_api_host_have_an_api_base_url(name: str) -> None:
    preset = PRESETS[name]
    userinfo = preset.get("userinfo_url")
    if userinfo and _on_api_host(userinfo):
        assert preset.get("api_base_url"), f"{name}: userinfo on an API host, no api_base_url"


@pytest.mark.parametrize("name", sorted(n for n, p in PRESETS.items() if p.get("api_base_url")))
def test_api_base_urls_are_https_directories(name: str) -> None:
    base = str(PRESETS[name]["api_base_url"])
    assert base.startswith("https://") and base.endswith("/"), base


@pytest.mark.parametrize(
    ("name", "base"),
    [
        ("github", "https://api.github.com/"),
        ("google", "https://www.googleapis.com/"),
        ("gitlab", "https://gitlab.com/api/v4/"),
        ("microsoft", "https://graph.microsoft.com/v1.0/"),
        ("spotify", "https://api.spotify.com/v1/"),
        ("twitter_oauth1", "https://api.x.com/1.1/"),
    ],
)
def test_documented_bases(name: str, base: str) -> None:
    assert PRESETS[name]["api_base_url"] == base
