"""A Flask-Dance ``oauth_authorized`` receiver, rewritten for quart-oauthlib.

The Flask-Dance original gets the blueprint and the token, and calls the API
through ``blueprint.session``::

    @oauth_authorized.connect_via(github_blueprint)
    def github_logged_in(blueprint, token):
        resp = blueprint.session.get("/user")
        session["user_id"] = save_user(resp.json())

Here the sender is the app, and the rest comes as keyword arguments.
"""

from collections.abc import Mapping
from typing import Any

from quart import Quart, session

from quart_oauthlib import OAuth2Session, QuartOAuth, oauth_authorized

oauth = QuartOAuth()
users: dict[str, dict[str, Any]] = {}  # your database


async def github_logged_in(
    app: Quart, *, provider: str, token: dict[str, Any], **extra: Any
) -> None:
    # The token is not stored yet (oauth["github"] has none), so call the API with it.
    # OpenID providers also pass id_token_claims and userinfo: hence **extra.
    userinfo_url = oauth.provider(provider).userinfo_url
    async with OAuth2Session(token=token) as github, github.get(userinfo_url) as resp:
        resp.raise_for_status()
        user = await resp.json()
    users[user["sub"]] = {"name": user["name"], "provider": provider}
    session["user_id"] = user["sub"]
    # None lets the extension store the token. Return False, as with Flask-Dance,
    # if you stored it yourself.


def create_app(config: Mapping[str, Any]) -> Quart:
    app = Quart(__name__)
    app.config.update(config)
    oauth.init_app(app)
    # Flask-Dance's connect_via(blueprint) becomes: this app's logins, any provider.
    oauth_authorized.connect(github_logged_in, sender=app)

    @app.route("/")
    @oauth.require("github")  # Flask-Dance: if not github.authorized: redirect(...)
    async def index() -> str:
        return f"Hello, {users[session['user_id']]['name']}."

    return app
