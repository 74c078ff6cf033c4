"""What the example app is configured with: the providers, from the environment or ``.env``.

With nothing configured, the only provider is ``dev``, the bundled development
provider. Real providers appear when their credentials are set, for each of
quart-oauthlib's presets: ``GITHUB_CLIENT_ID`` and ``GITHUB_CLIENT_SECRET``,
``GOOGLE_CLIENT_ID`` and ``GOOGLE_CLIENT_SECRET``, and so on (plus
``MICROSOFT_TENANT`` for Microsoft). ``EXAMPLE_SECRET_KEY`` sets the session
key (random by default). Variables already in the environment win over the
``.env`` file.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quart_oauthlib import ConfigurationError
from quart_oauthlib.providers import PRESETS

from .dev_provider import DevClient

__all__ = [
    "DEV_CLIENT_ID",
    "ExampleSettings",
    "dev_client",
    "dev_provider_settings",
    "providers_from_env",
    "read_env_file",
]

log = logging.getLogger(__name__)

#: The example app's registration at the development provider. The "secret" guards
#: nothing: the dev provider lets anyone sign in as anyone, on this machine only.
DEV_CLIENT_ID = "quart-oauthlib-example"
DEV_CLIENT_SECRET = "development-only-not-a-secret"  # noqa: S105
DEV_SCOPES = ["openid", "profile", "email", "fortune"]

#: How the home page names each provider.
LABELS = {
    "dev": "Dev Provider",
    "bitbucket": "Bitbucket",
    "discord": "Discord",
    "facebook": "Facebook",
    "github": "GitHub",
    "gitlab": "GitLab",
    "google": "Google",
    "linkedin": "LinkedIn",
    "microsoft": "Microsoft",
    "slack": "Slack",
    "twitter": "X (Twitter)",
    "twitter_oauth1": "X (Twitter, OAuth 1)",
}

_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


@dataclass(frozen=True)
class ExampleSettings:
    """Everything :func:`example_app.app.create_app` needs.

    Attributes:
        providers: ``OAUTH_PROVIDERS``: provider name to settings.
        dev_provider_url: The development provider's base URL, when it is used.
        secret_key: Signs the session cookie, which holds the tokens. A random
            one by default, so that sign-ins end when the app restarts.
    """

    providers: Mapping[str, Mapping[str, Any]]
    dev_provider_url: str | None = None
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)

    @classmethod
    def build(cls, env: Mapping[str, str], *, dev_provider_url: str | None) -> ExampleSettings:
        """The settings for an environment, with the dev provider at ``dev_provider_url``.

        Raises:
            ConfigurationError: There is no provider at all to sign in with.
        """
        providers: dict[str, Mapping[str, Any]] = {}
        if dev_provider_url is not None:
            providers["dev"] = dev_provider_settings(dev_provider_url)
        providers.update(providers_from_env(env))
        if not providers:
            raise ConfigurationError(
                "No provider to sign in with: run the dev provider, or set a provider's "
                "credentials (GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET, for instance)."
            )
        secret_key = env.get("EXAMPLE_SECRET_KEY") or secrets.token_urlsafe(32)
        return cls(providers, dev_provider_url, secret_key)


def dev_provider_settings(issuer: str) -> dict[str, Any]:
    """The ``OAUTH_PROVIDERS`` entry of the development provider at ``issuer``."""
    return {
        "client_id": DEV_CLIENT_ID,
        "client_secret": DEV_CLIENT_SECRET,
        "authorize_url": f"{issuer}/authorize",
        "token_url": f"{issuer}/token",
        "revoke_url": f"{issuer}/revoke",
        "userinfo_url": f"{issuer}/userinfo",
        "scope": DEV_SCOPES,
    }


def dev_client(app_port: int) -> DevClient:
    """The example app as a client of the development provider, for an app on ``app_port``."""
    # The callback URL is built from the address in the browser's address bar, so
    # register both spellings of this machine: the dev provider matches URIs exactly.
    callbacks = tuple(
        f"http://{host}:{app_port}/login/dev/authorized" for host in ("127.0.0.1", "localhost")
    )
    return DevClient(DEV_CLIENT_ID, DEV_CLIENT_SECRET, callbacks, name="quart-oauthlib example")


def providers_from_env(env: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """An ``OAUTH_PROVIDERS`` entry for each preset whose credentials ``env`` has."""
    providers: dict[str, dict[str, Any]] = {}
    seen: list[object] = []
    for name, preset in PRESETS.items():
        if any(preset is other for other in seen):
            continue  # an alias ("x" for "twitter"): one button is enough
        seen.append(preset)
        prefix = name.upper()
        client_id = env.get(f"{prefix}_CLIENT_ID", "").strip()
        client_secret = env.get(f"{prefix}_CLIENT_SECRET", "").strip()
        if bool(client_id) != bool(client_secret):
            log.warning(
                "Only one of %s_CLIENT_ID and %s_CLIENT_SECRET is set; %s is left out.",
                prefix,
                prefix,
                name,
            )
        if client_id and client_secret:
            providers[name] = {"client_id": client_id, "client_secret": client_secret}
            tenant = env.get(f"{prefix}_TENANT", "").strip()
            if tenant:
                providers[name]["tenant"] = tenant
    return providers


def read_env_file(path: Path) -> dict[str, str]:
    """The ``KEY=value`` lines of a ``.env`` file (none if it does not exist).

    Blank lines and ``#`` comments are skipped, a leading ``export`` is allowed,
    and one pair of matching quotes around a value is removed. No variable
    expansion: what is written is what you get.
    """
    if not path.is_file():
        return {}
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _ENV_LINE.match(line)
        if match is None:
            log.warning("%s:%d is not KEY=value; skipped.", path, number)
            continue
        key, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key] = value
    return values
