"""Build the development provider's Quart application."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from quart import Quart, Response, send_from_directory

from .error_pages import install_error_pages
from .provider import DevProvider, install
from .settings import DevProviderSettings
from .views_api import api
from .views_browser import browser

__all__ = ["create_dev_provider"]

log = logging.getLogger(__name__)


def create_dev_provider(settings: DevProviderSettings, *, secret_key: str | None = None) -> Quart:
    """The development provider as a Quart app, to serve at ``settings.issuer``.

    FOR DEVELOPMENT ONLY: anyone can sign in as anyone.

    Args:
        settings: Its issuer URL, clients and token lifetimes.
        secret_key: Signs the provider's session cookie. By default a random one,
            so that its sign-ins end when it restarts, like everything else it knows.
    """
    app = Quart(__name__)
    app.config.update(
        SECRET_KEY=secret_key or secrets.token_urlsafe(32),
        # The example app and this provider usually share the host 127.0.0.1, and
        # cookies ignore ports: under the same name each would overwrite the other's.
        SESSION_COOKIE_NAME="dev_provider_session",
        SESSION_COOKIE_SAMESITE="Lax",
    )
    install(app, DevProvider(settings))
    app.register_blueprint(browser)
    app.register_blueprint(api)
    app.add_url_rule("/favicon.ico", "favicon", favicon)
    install_error_pages(app)

    @app.before_serving
    async def warn_development_only() -> None:
        log.warning(
            "The development OAuth provider at %s signs in anyone under any name. "
            "It is for trying things out on this machine only; never expose it.",
            settings.issuer,
        )

    return app


async def favicon() -> Response:
    """The provider's icon (an SVG), where browsers look for it and the pages link to it."""
    static = Path(__file__).parent / "static"
    return await send_from_directory(
        static, "favicon.svg", mimetype="image/svg+xml", cache_timeout=86400
    )
