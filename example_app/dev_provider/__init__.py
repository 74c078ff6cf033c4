"""A tiny OAuth 2 / OpenID-style provider, FOR DEVELOPMENT ONLY.

It lets the example app's "Sign in" work with no account anywhere: its login
form accepts any user name without a password, and everything it knows lives
in memory and is forgotten on restart. Never expose it to a network, and never
use it to protect anything.

It is still a faithful provider, built on oauthlib's server side
(:class:`oauthlib.oauth2.WebApplicationServer`): the authorization code grant
with PKCE (S256 only, verified), rotating refresh tokens, revocation (RFC 7009),
a userinfo endpoint, a small API, discovery metadata, pushed authorization
requests (RFC 9126), and, when ``joserfc`` is installed, signed ID tokens and
DPoP-bound tokens (RFC 9449, with optional server nonces).
"""

from .app import create_dev_provider
from .settings import DevClient, DevProviderSettings

__all__ = ["DevClient", "DevProviderSettings", "create_dev_provider"]
