"""An Authlib app's own login views, ported to Quart: ``await`` added, little else."""

import os
from collections.abc import Mapping
from typing import Any

from quart import Quart, redirect, render_template_string, session, url_for

from quart_oauthlib import AuthorizationDeniedError, QuartOAuth

oauth = QuartOAuth()

HOME = """
{% if signed_in %}
  <p>Hello {{ user["name"] }}.</p>
  {{ oauth_logout_button("google", label="Sign out", next="/") }}
{% else %}
  <a href="{{ url_for('login') }}">Sign in with Google</a>
{% endif %}
"""


def create_app(config: Mapping[str, Any] | None = None) -> Quart:
    app = Quart(__name__)
    app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    # Read by register() as Authlib does: <NAME>_CLIENT_ID, <NAME>_CLIENT_SECRET.
    app.config["GOOGLE_CLIENT_ID"] = os.environ["GOOGLE_CLIENT_ID"]
    app.config["GOOGLE_CLIENT_SECRET"] = os.environ["GOOGLE_CLIENT_SECRET"]
    app.config.update(config or {})
    oauth.init_app(app)
    # [register]
    oauth.register(
        "google",  # a preset: the metadata URL and API base are known
        client_kwargs={"scope": "openid email profile"},
    )
    # [/register]

    @app.route("/")
    async def home() -> str:
        signed_in = oauth.google.authorized  # true or false, never a guess
        return await render_template_string(HOME, signed_in=signed_in, user=session.get("user"))

    # [views]
    @app.route("/login")
    async def login() -> Any:
        return await oauth.google.authorize_redirect(url_for("auth", _external=True))

    @app.route("/auth")
    async def auth() -> Any:
        token = await oauth.google.authorize_access_token()  # state, PKCE, ID token checked
        session["user"] = token["userinfo"]
        return redirect("/")

    @app.route("/files")
    async def files() -> Any:
        if not oauth.google.authorized:
            return redirect(url_for("login"))
        resp = await oauth.google.get("drive/v3/files")  # relative to api_base_url
        return await resp.json() if resp.ok else (f"Google answered {resp.status}", 502)

    # [refused]
    @app.errorhandler(AuthorizationDeniedError)
    async def refused(error: AuthorizationDeniedError) -> Any:
        if error.error == "access_denied":  # the user said no
            return "You cancelled the sign-in.", 200
        return f"The sign-in failed ({error.error}).", 400

    # [/views]
    return app
