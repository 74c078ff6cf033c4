"""OpenID Connect in the extension: a metadata URL and the client's credentials are enough."""

import os
from typing import Any

from quart import Quart

from quart_oauthlib import QuartOAuth, oauth_authorized

oauth = QuartOAuth()
signed_in: list[str] = []


def create_app() -> Quart:
    app = Quart(__name__)
    app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    app.config["OAUTH_PROVIDERS"] = {
        "corp": {
            # e.g. https://id.corp.example/.well-known/openid-configuration
            "server_metadata_url": os.environ["CORP_METADATA_URL"],
            "client_id": os.environ["CORP_CLIENT_ID"],
            "client_secret": os.environ["CORP_CLIENT_SECRET"],
        },
    }
    oauth.init_app(app)  # checks the settings; the metadata is fetched on first use

    @oauth_authorized.connect_via(app)
    async def on_sign_in(sender: Quart, *, provider: str, token: Any, **openid: Any) -> None:
        # OpenID providers add the validated ID token's claims and the userinfo answer.
        signed_in.append(openid["id_token_claims"]["sub"])

    @app.route("/")
    @oauth.require("corp")
    async def me() -> dict[str, Any]:
        claims = await oauth.corp.id_token_claims()  # a few verified claims, kept small
        userinfo = await oauth.corp.userinfo()  # fetched now; its sub is checked
        return {"sub": claims["sub"] if claims else None, "email": userinfo.get("email")}

    return app
