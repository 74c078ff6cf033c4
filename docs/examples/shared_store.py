"""Tokens in a shared database, encrypted at rest: extras sqla (or postgres, redis) and crypto."""

import os
from collections.abc import Mapping
from typing import Any

from quart import Quart

from quart_oauthlib import QuartOAuth


def create_app(config: Mapping[str, Any] | None = None) -> Quart:
    app = Quart(__name__)
    app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    # sqlite:///..., postgresql://... or redis://...; the table is created on first use.
    app.config["OAUTH_TOKEN_STORE"] = os.environ["TOKEN_STORE_URL"]
    # Fernet keys (Fernet.generate_key()), newest first: put a new key in front to rotate.
    app.config["OAUTH_TOKEN_ENCRYPTION_KEYS"] = os.environ["TOKEN_KEYS"].split()
    app.config["OAUTH_PROVIDERS"] = {
        "github": {
            "client_id": os.environ["GITHUB_CLIENT_ID"],
            "client_secret": os.environ["GITHUB_CLIENT_SECRET"],
        },
    }
    app.config.update(config or {})
    QuartOAuth(app)  # the store's connections are closed at after_serving
    return app
