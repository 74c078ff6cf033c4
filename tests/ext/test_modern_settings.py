"""Provider settings for client authentication, PAR, DPoP, JAR and FAPI 2.0, checked at init_app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from joserfc.jwk import ECKey, OctKey, RSAKey
from quart import Quart

from quart_oauthlib import QuartOAuth
from quart_oauthlib.errors import ConfigurationError, FAPI2ProfileError

METADATA = "https://id.example/.well-known/openid-configuration"


@pytest.fixture(scope="module")
def es256() -> dict[str, Any]:
    return ECKey.generate_key("P-256", {"kid": "k1", "alg": "ES256"}, private=True).as_dict(
        private=True
    )


def init(settings: dict[str, Any], store: Any = None, **config: Any) -> Quart:
    app = Quart(__name__)
    app.config["OAUTH_PROVIDERS"] = {
        "bank": {"client_id": "c", "server_metadata_url": METADATA, **settings}
    }
    app.config.update(config)
    QuartOAuth(app, store=store)
    return app


def config_of(app: Quart) -> Any:
    return app.extensions["quart_oauthlib"].provider("bank").settings


def test_fapi2_switches_on_what_it_needs(es256: dict[str, Any]) -> None:
    config = config_of(init({"security_profile": "fapi2", "client_jwk": es256}))
    assert config.par is True and config.pkce == "S256"
    assert config.token_endpoint_auth_method == "private_key_jwt"
    assert config.dpop_key is not None and config.dpop_key.alg == "ES256"


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"par": False}, "par"),
        ({"pkce": "plain"}, "pkce"),
        ({"pkce": None}, "pkce"),
        (
            {"token_endpoint_auth_method": "client_secret_basic", "client_secret": "s"},
            "token_endpoint_auth_method",
        ),
        ({"dpop": False}, "dpop"),
        ({"client_jwk": "rsa256"}, "client_jwk"),
        ({"dpop_key": "hs256"}, "dpop_key"),
    ],
)
def test_a_setting_that_contradicts_fapi2_names_provider_and_key(
    es256: dict[str, Any], change: dict[str, Any], key: str
) -> None:
    settings: dict[str, Any] = {"security_profile": "fapi2", "client_jwk": es256, **change}
    if settings["client_jwk"] == "rsa256":
        settings["client_jwk"] = RSAKey.generate_key(
            2048, {"kid": "r", "alg": "RS256"}, private=True
        ).as_dict(private=True)
    if settings.get("dpop_key") == "hs256":
        settings["dpop_key"] = ECKey.generate_key("P-384", {"alg": "ES384"}, private=True).as_dict(
            private=True
        )
    with pytest.raises(ConfigurationError) as caught:
        init(settings)
    assert "'bank'" in str(caught.value)
    assert key in str(caught.value)
    if isinstance(caught.value, FAPI2ProfileError):
        assert caught.value.key == key


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"token_endpoint_auth_method": "private_key_jwt"}, "client_jwk"),
        ({"token_endpoint_auth_method": "client_secret_jwt"}, "client_secret"),
        (
            {"token_endpoint_auth_method": "bogus", "client_secret": "s"},
            "token_endpoint_auth_method",
        ),
        ({"client_jwk": "/no/such.pem"}, "client_jwk_kid"),
        ({"client_jwk": "/no/such.pem", "client_jwk_kid": "k"}, "client_jwk"),
        ({"client_jwk": {"kty": "EC"}}, "client_jwk"),
        ({"client_jwk": OctKey.generate_key(256).as_dict(private=True)}, "client_jwk"),
        ({"request_object": True, "client_secret": "s"}, "client_jwk"),
        ({"dpop": "yes", "client_secret": "s"}, "dpop"),
        (
            {"dpop_key": OctKey.generate_key(256).as_dict(private=True), "client_secret": "s"},
            "dpop_key",
        ),
        ({"dpop": False, "dpop_key": {"kty": "EC"}, "client_secret": "s"}, "dpop_key"),
        ({"security_profile": "fapi1", "client_secret": "s"}, "security_profile"),
    ],
)
def test_bad_settings_are_refused_at_init_app(settings: dict[str, Any], words: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        init(settings)
    assert "OAUTH_PROVIDERS['bank']" in str(caught.value)
    assert words in str(caught.value)


def test_a_pem_key_with_its_kid_is_loaded(tmp_path: Path, es256: dict[str, Any]) -> None:
    pem = tmp_path / "key.pem"
    pem.write_bytes(ECKey.import_key(es256).as_pem(private=True))
    config = config_of(init({"client_jwk": str(pem), "client_jwk_kid": "kid-7"}))
    assert config.token_endpoint_auth_method == "private_key_jwt"  # implied by the key
    assert config.client_jwk.kid == "kid-7"
    assert "kid-7" not in repr(config) and "client_jwk" not in repr(config)


def test_dpop_without_a_shared_key_is_refused_with_a_shared_store(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/t.sqlite3"
    with pytest.raises(ConfigurationError, match="dpop_key") as caught:
        init({"client_secret": "s", "dpop": True}, OAUTH_TOKEN_STORE=url)
    assert "'bank'" in str(caught.value) and "worker" in str(caught.value)


def test_dpop_with_a_configured_key_works_with_a_shared_store(
    tmp_path: Path, es256: dict[str, Any]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/t.sqlite3"
    key = {k: v for k, v in es256.items() if k != "kid"}
    app = init({"client_secret": "s", "dpop": True, "dpop_key": key}, OAUTH_TOKEN_STORE=url)
    config = config_of(app)
    assert (
        config.dpop_key_configured
        and config.dpop_key.thumbprint == ECKey.import_key(key).thumbprint()
    )


def test_dpop_with_a_generated_key_is_fine_in_one_process() -> None:
    first = config_of(init({"client_secret": "s", "dpop": True}, OAUTH_TOKEN_STORE="memory"))
    second = config_of(init({"client_secret": "s", "dpop": True}, OAUTH_TOKEN_STORE="memory"))
    assert first.dpop_key.alg == "ES256"
    assert first.dpop_key.thumbprint != second.dpop_key.thumbprint  # one per app


@pytest.mark.parametrize("alg", ["EdDSA", "PS256"])
def test_dpop_keys_of_other_algorithms(alg: str) -> None:
    from joserfc.jwk import OKPKey

    key = (
        OKPKey.generate_key("Ed25519", private=True)
        if alg == "EdDSA"
        else RSAKey.generate_key(2048, {"alg": "PS256"}, private=True)
    )
    config = config_of(init({"client_secret": "s", "dpop_key": key.as_dict(private=True)}))
    assert config.dpop_key.alg == alg


def test_oauth1_refuses_the_oauth2_settings() -> None:
    app = Quart(__name__)
    app.config["OAUTH_PROVIDERS"] = {
        "old": {
            "client_key": "k",
            "client_secret": "s",
            "request_token_url": "https://o.example/rt",
            "authorize_url": "https://o.example/a",
            "access_token_url": "https://o.example/at",
            "dpop": True,
        }
    }
    with pytest.raises(ConfigurationError, match="'dpop' is for OAuth 2"):
        QuartOAuth(app)


async def test_a_token_bound_to_another_dpop_key_sends_the_user_to_sign_in() -> None:
    from quart_oauthlib import MemoryTokenStore

    store = MemoryTokenStore()
    app = Quart(__name__)
    app.secret_key = "test-secret-key-0123456789"
    app.config["OAUTH_PROVIDERS"] = {
        "bank": {
            "client_id": "c",
            "client_secret": "s",
            "server_metadata_url": METADATA,
            "dpop": True,
        }
    }
    oauth = QuartOAuth(app, store=store, user_id_loader=lambda: "u")

    @app.get("/x")
    @oauth.require("bank")
    async def view() -> str:
        return "ok"

    key = config_of(app).dpop_key
    token = {"access_token": "a", "token_type": "DPoP", "expires_in": 600}
    await store.set("bank", "user:u", {**token, "dpop_jkt": "another-keys-thumbprint"})
    client = app.test_client()
    refused = await client.get("/x")
    assert refused.status_code == 302 and "/login/bank" in refused.headers["Location"]
    await store.set("bank", "user:u", {**token, "dpop_jkt": key.thumbprint})
    assert (await client.get("/x")).status_code == 200
