"""The declarative preset fields: placeholders, scope separator, Apple's JWT secret, mapping."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jwt
from joserfc.jwk import ECKey

from quart_oauthlib.errors import ConfigurationError, UserInfoError
from quart_oauthlib.extension.flows.oauth2 import _session
from quart_oauthlib.profile import Profile, lookup, map_profile
from quart_oauthlib.providers import PRESETS
from quart_oauthlib.providers._helpers import first, full_name, template
from quart_oauthlib.providers.apple import APPLE_AUDIENCE, SECRET_LIFETIME
from quart_oauthlib.providers.settings import ProviderConfig, resolve_provider

CREDS = {"client_id": "id", "client_secret": "secret"}


def resolve(name: str, **settings: str) -> ProviderConfig:
    return resolve_provider(name, {**CREDS, **settings}, PRESETS, insecure_transport=False)


@pytest.mark.parametrize(
    ("name", "missing"),
    [("shopify", "shop"), ("okta", "domain"), ("keycloak", "domain"), ("stackexchange", "api_key")],
)
def test_a_missing_placeholder_is_named(name: str, missing: str) -> None:
    with pytest.raises(ConfigurationError, match=rf"needs '{missing}'; set '{missing}'"):
        resolve(name)


def test_placeholders_are_filled_from_settings() -> None:
    cognito = resolve("cognito", domain="myapp", region="eu-west-1", realm="eu-west-1_AbC123")
    assert cognito.token_url == "https://myapp.auth.eu-west-1.amazoncognito.com/oauth2/token"
    assert cognito.server_metadata_url == (
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/openid-configuration"
    )
    with pytest.raises(ConfigurationError, match="needs 'realm'"):
        resolve("cognito", domain="myapp", region="eu-west-1")
    keycloak = resolve("keycloak", domain="sso.example.org", realm="staff")
    assert keycloak.userinfo_url == (
        "https://sso.example.org/realms/staff/protocol/openid-connect/userinfo"
    )
    with pytest.raises(ConfigurationError, match="needs 'realm'"):
        resolve("keycloak", domain="sso.example.org")


def test_token_fields_stay_in_the_userinfo_url() -> None:
    assert resolve("weibo").userinfo_url == "https://api.weibo.com/2/users/show.json?uid={uid}"


def test_microsoft_consumers_uses_the_consumers_tenant() -> None:
    assert "/consumers/oauth2/v2.0/" in resolve("microsoft_consumers").authorize_url


def test_comma_separated_scope_in_the_authorization_url() -> None:
    config = resolve("strava", scope=["read", "activity:read"])
    url, _ = _session(config, "https://app.example/cb").authorization_url(config.authorize_url)
    assert parse_qs(urlsplit(url).query)["scope"] == ["read,activity:read"]
    github = resolve("github")
    url, _ = _session(github, "https://app.example/cb").authorization_url(github.authorize_url)
    assert parse_qs(urlsplit(url).query)["scope"] == ["read:user user:email"]


def _p256_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def test_apple_client_secret_is_a_fresh_short_lived_es256_jwt() -> None:
    pem = _p256_pem()
    settings = {"client_id": "com.example.web", "team_id": "TEAM123456", "key_id": "KEY1"}
    config = resolve_provider(
        "apple", {**settings, "private_key": pem}, PRESETS, insecure_transport=False
    )
    assert config.client_secret is None and "private_key" not in repr(config)
    assert config.authorize_params["response_mode"] == "form_post"
    secret = config.current_client_secret()
    assert secret is not None
    token = jwt.decode(secret, ECKey.import_key(pem), algorithms=["ES256"])
    assert token.header["alg"] == "ES256" and token.header["kid"] == "KEY1"
    claims = token.claims
    assert claims["iss"] == "TEAM123456" and claims["sub"] == "com.example.web"
    assert claims["aud"] == APPLE_AUDIENCE
    assert claims["exp"] - claims["iat"] == SECRET_LIFETIME
    assert abs(claims["iat"] - time.time()) < 5


def test_apple_needs_its_key_or_a_secret() -> None:
    with pytest.raises(ConfigurationError, match="missing 'team_id', 'key_id', 'private_key'"):
        resolve_provider("apple", {"client_id": "x"}, PRESETS, insecure_transport=False)
    bad = resolve_provider(
        "apple",
        {"client_id": "x", "team_id": "T", "key_id": "K", "private_key": "not a key"},
        PRESETS,
        insecure_transport=False,
    )
    with pytest.raises(ConfigurationError, match="EC P-256"):
        bad.current_client_secret()
    # A configured secret (one made elsewhere) wins over the factory.
    assert resolve("apple").current_client_secret() == "secret"


def test_lookup_paths_and_helpers() -> None:
    data = {"a": {"b": [{"c": 1}]}, "first": "Ada", "last": "", "x": None}
    assert lookup(data, "a.b.0.c") == 1
    assert lookup(data, "a.b.5.c") is None and lookup(data, "x.y") is None
    assert first("x", "last", "first")(data) == "Ada"
    assert full_name("first", "last")(data) == "Ada"
    assert template("https://cdn/{first}.png", "first")(data) == "https://cdn/Ada.png"
    assert template("https://cdn/{x}.png", "x")(data) is None


def test_map_profile_needs_an_object_with_an_id() -> None:
    with pytest.raises(UserInfoError, match="not a JSON object"):
        map_profile(["sub"], {}, provider="p")
    with pytest.raises(UserInfoError, match="holds no user id"):
        map_profile({"name": "n"}, {}, provider="p")
    assert map_profile({"sub": 7, "email_verified": "false"}, {}) == Profile(
        id="7", email_verified=False, raw={"sub": 7, "email_verified": "false"}
    )


def test_a_bad_profile_mapping_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="profile must map"):
        resolve("github", profile={"login": "login"})  # type: ignore[arg-type]  # on purpose
