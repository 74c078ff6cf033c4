"""quart-oauthlib: async OAuth 1 and OAuth 2 on aiohttp + oauthlib, and a Quart extension."""

from .errors import TokenUpdated

__all__ = ["TokenUpdated"]
