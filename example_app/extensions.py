"""The app's one :class:`~quart_oauthlib.QuartOAuth`, initialised in ``create_app``.

It keeps no app state of its own (that lives in ``app.extensions``), so views
can import it, and tests can build as many apps as they like.
"""

from quart_oauthlib import QuartOAuth

__all__ = ["oauth"]

oauth = QuartOAuth()
