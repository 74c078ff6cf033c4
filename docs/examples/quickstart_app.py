"""The extension's quick start: "Sign in with GitHub" and an API call in a Quart app."""

import os
from collections.abc import Mapping
from typing import Any

from quart import Quart, render_template_string

from quart_oauthlib import QuartOAuth

oauth = QuartOAuth()

PROFILE = """
<p>Signed in as {{ user["name"] }}.</p>
<form method="post" action="{{ url_for('github.logout') }}"><button>Sign out</button></form>
"""


def create_app(config: Mapping[str, Any] | None = None) -> Quart:
    app = Quart(__name__)
    app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    app.config["OAUTH_PROVIDERS"] = {
        # "github" is a preset: its endpoints, scope and userinfo URL are known.
        "github": {
            "client_id": os.environ["GITHUB_CLIENT_ID"],
            "client_secret": os.environ["GITHUB_CLIENT_SECRET"],
        },
    }
    app.config.update(config or {})
    oauth.init_app(app)

    @app.route("/")
    @oauth.require("github")  # no token yet: redirect to /login/github and back
    async def profile() -> str:
        userinfo_url = oauth.provider("github").userinfo_url
        async with oauth["github"].get(userinfo_url) as resp:
            user = await resp.json()
        return await render_template_string(PROFILE, user=user)

    return app
