"""FAPI 2.0 through the Quart extension: provider settings are all it takes."""

from typing import Any

from quart import Quart

from quart_oauthlib import QuartOAuth


def create_app(
    discovery_url: str,
    client_id: str,
    client_jwk: dict[str, Any],
    dpop_key: dict[str, Any],
    token_store: str = "memory",
    redirect_uri: str | None = None,
) -> Quart:
    app = Quart(__name__)
    app.secret_key = "change-me: a long random secret"
    # A database or Redis URL serves several workers; then dpop_key must come from
    # the config, so that every worker signs with the key the tokens are bound to.
    app.config["OAUTH_TOKEN_STORE"] = token_store
    app.config["OAUTH_PROVIDERS"] = {
        "bank": {
            "client_id": client_id,
            "server_metadata_url": discovery_url,
            "scope": "openid email",
            # PAR, PKCE S256, DPoP and private_key_jwt, checked at init_app.
            "security_profile": "fapi2",
            "client_jwk": client_jwk,  # or a PEM path, with "client_jwk_kid"
            "dpop_key": dpop_key,  # a private JWK: ES256, EdDSA or PS256
            "redirect_uri": redirect_uri,  # None: this app's /login/bank/authorized
        }
    }
    oauth = QuartOAuth(app)

    @app.get("/me")
    @oauth.require("bank")
    async def me() -> dict[str, Any]:
        # Sent as "Authorization: DPoP ..." with a fresh proof; refreshed with the same key.
        return await oauth["bank"].userinfo()

    return app
