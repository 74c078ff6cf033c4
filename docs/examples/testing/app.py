"""The app under test: a page that needs a GitHub login and calls GitHub's API."""

from collections.abc import Mapping
from typing import Any

from quart import Quart

from quart_oauthlib import QuartOAuth

oauth = QuartOAuth()


def create_app(config: Mapping[str, Any]) -> Quart:
    app = Quart(__name__)
    app.config["SECRET_KEY"] = "change me"
    app.config.update(config)
    oauth.init_app(app)

    @app.route("/")
    @oauth.require("github")
    async def home() -> str:
        profile = await oauth.github.profile()  # GitHub's /user, mapped
        async with oauth.github.get("user/repos") as resp:  # relative to api_base_url
            repos = await resp.json()
        return f"Signed in as {profile.name}; API answered {resp.status} for {repos['path']}."

    return app
