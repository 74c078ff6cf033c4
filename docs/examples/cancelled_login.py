"""A login the user cancelled at the provider, and every other failed login."""

from collections.abc import Mapping
from typing import Any

from quart import Quart, flash, redirect, render_template_string, url_for
from quart.typing import ResponseReturnValue

from quart_oauthlib import CallbackError, QuartOAuth, oauth_error

oauth = QuartOAuth()

HOME = """{% for message in get_flashed_messages() %}<p>{{ message }}</p>{% endfor %}
<a href="{{ url_for('github.login') }}">Sign in with GitHub</a>"""
FAILED = """<h1>The sign-in did not complete</h1>
<p>{{ error.description }} ({{ error.provider }}: {{ error.error }})</p>"""


async def login_failed(
    app: Quart, *, provider: str, error: str, description: str, **extra: Any
) -> ResponseReturnValue | None:
    # "Cancel" or "Deny" at the provider comes back as error=access_denied.
    if error == "access_denied":
        await flash(f"You cancelled the sign-in with {provider}. Nothing was shared.")
        return redirect(url_for("home"))
    return None  # not handled here: the error handler below answers


async def sign_in_failed(error: CallbackError) -> ResponseReturnValue:
    # Any other failed login: error.error is the code ("invalid_scope",
    # "state_mismatch", ...) and error.description is written to be shown.
    return await render_template_string(FAILED, error=error), error.code or 400


def create_app(config: Mapping[str, Any]) -> Quart:
    app = Quart(__name__)
    app.config.update(config)
    oauth.init_app(app)
    oauth_error.connect(login_failed, sender=app)
    app.register_error_handler(CallbackError, sign_in_failed)

    @app.route("/")
    async def home() -> str:
        return await render_template_string(HOME)

    return app
