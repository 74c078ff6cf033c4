"""Relative API URLs: ``await oauth.github.get("/user")`` against the provider's ``api_base_url``.

As in Authlib and Flask-Dance, a URL without a scheme is joined to the base
with :func:`urllib.parse.urljoin`: ``"user"`` and ``"/user"`` both give
``https://api.github.com/user`` for GitHub's base, while ``"/me"`` against
``https://api.spotify.com/v1/`` gives ``https://api.spotify.com/me`` (a
leading slash replaces the base's path; write ``"me"``). Absolute URLs are
left alone.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from yarl import URL

from ..errors import ConfigurationError

__all__ = ["api_url"]


def api_url(provider: str, base: str | None, url: str | URL) -> str | URL:
    """``url`` resolved against ``base`` when it is relative.

    Raises:
        ConfigurationError: ``url`` is relative and the provider has no ``api_base_url``.
    """
    if isinstance(url, URL):
        if url.is_absolute():
            return url
        text = str(url)
    else:
        text = url
        parts = urlsplit(text)
        if parts.scheme or parts.netloc:
            return url  # absolute (or scheme-relative, which aiohttp refuses): not ours to join
    if not base:
        raise ConfigurationError(
            f"oauth.{provider} got the relative URL {text!r}, but the provider has no "
            f"'api_base_url' setting to resolve it against: set "
            f"OAUTH_PROVIDERS[{provider!r}]['api_base_url'] (such as 'https://api.example.com/'), "
            "or pass an absolute URL."
        )
    return urljoin(base, text)
