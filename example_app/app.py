"""Build the example app: QuartOAuth, the pages, error pages and notices."""

from __future__ import annotations

from pathlib import Path

from quart import Quart, Response, send_from_directory

from .api_demos import api_demos
from .error_pages import install_error_pages
from .extensions import oauth
from .home import home
from .notices import connect_notices
from .provider_pages import provider_pages
from .settings import LABELS, ExampleSettings

__all__ = ["create_app"]


def create_app(settings: ExampleSettings) -> Quart:
    """The example app for ``settings`` (see :class:`~example_app.settings.ExampleSettings`).

    Development-only setup is the caller's: :mod:`example_app.__main__` allows
    plain-http provider URLs with ``OAUTHLIB_INSECURE_TRANSPORT``.
    """
    app = Quart(__name__)
    demos = api_demos(settings)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        OAUTH_PROVIDERS=dict(settings.providers),
        EXAMPLE_API_DEMOS=demos,
        # The dev provider runs on the same host, and cookies ignore ports: a name of
        # our own keeps the two sessions apart. Lax keeps the cookie off cross-site POSTs.
        SESSION_COOKIE_NAME="example_app_session",
        SESSION_COOKIE_SAMESITE="Lax",
    )
    oauth.init_app(app)
    app.register_blueprint(home)
    for name in settings.providers:
        app.register_blueprint(provider_pages(name, demos.get(name)))
    install_error_pages(app)
    connect_notices(app)
    app.jinja_env.globals["provider_label"] = lambda name: LABELS.get(name, name)
    app.add_url_rule("/favicon.ico", "favicon", favicon)
    return app


async def favicon() -> Response:
    """The app's icon, where browsers look for it (and the pages link to it)."""
    # An SVG: one small file that is sharp at every size; browsers go by the type.
    static = Path(__file__).parent / "static"
    return await send_from_directory(
        static, "favicon.svg", mimetype="image/svg+xml", cache_timeout=86400
    )
