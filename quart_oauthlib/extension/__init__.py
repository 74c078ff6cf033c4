"""The Quart layer: ``QuartOAuth``, its routes, request-bound sessions and login flows.

Only this subpackage (and the public ``signals``) imports Quart; ``client/`` never
imports it. See ``docs/architecture.rst`` for which layer may import which.
"""

from .oauth import DEFAULTS, QuartOAuth

__all__ = ["DEFAULTS", "QuartOAuth"]
