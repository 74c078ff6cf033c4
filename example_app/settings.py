"""What the example app is configured with: the providers, from the environment or ``.env``.

With nothing configured, the only provider is ``dev``, the bundled development
provider. Real providers appear when their credentials are set, for each of
quart-oauthlib's presets: ``GITHUB_CLIENT_ID`` and ``GITHUB_CLIENT_SECRET``,
``GOOGLE_CLIENT_ID`` and ``GOOGLE_CLIENT_SECRET``, and so on.

Per-tenant presets have placeholders in their URLs (``{domain}``, ``{shop}``,
``{realm}``, ``{region}``, ``{tenant}``, ``{api_key}``), each read from
``<NAME>_<PLACEHOLDER>``: ``OKTA_DOMAIN``, ``SHOPIFY_SHOP``, ``KEYCLOAK_REALM``,
``MICROSOFT_TENANT`` (optional: ``common`` by default)... A provider whose
settings are incomplete or wrong is left out with a warning naming what to set,
so that the other providers, and the dev login, still work.

``EXAMPLE_SECRET_KEY`` sets the session key (random by default).
``EXAMPLE_DEV_MODERN=0`` makes the dev login a plain one (Bearer tokens, no PAR);
by default it is pushed (PAR, RFC 9126) and its tokens are DPoP-bound (RFC 9449).
Variables already in the environment win over the ``.env`` file.
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
from quart_oauthlib.providers.settings import PLACEHOLDERS, ProviderSettings, resolve_provider

from .dev_provider import DevClient

__all__ = [
    "DEV_CLIENT_ID",
    "ExampleSettings",
    "dev_client",
    "dev_modern_from_env",
    "dev_provider_settings",
    "placeholders_of",
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
    "auth0": "Auth0",
    "bitbucket": "Bitbucket",
    "cognito": "Amazon Cognito",
    "discord": "Discord",
    "facebook": "Facebook",
    "gitea": "Gitea",
    "github": "GitHub",
    "gitlab": "GitLab",
    "google": "Google",
    "keycloak": "Keycloak",
    "linkedin": "LinkedIn",
    "mastodon": "Mastodon",
    "microsoft": "Microsoft",
    "nextcloud": "Nextcloud",
    "okta": "Okta",
    "shopify": "Shopify",
    "slack": "Slack",
    "stackexchange": "Stack Exchange",
    "twitter": "X (Twitter)",
    "twitter_oauth1": "X (Twitter, OAuth 1)",
}

_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
#: Placeholders the library fills by itself when unset (Microsoft's "common" tenant).
_OPTIONAL_PLACEHOLDERS = frozenset({"tenant"})


@dataclass(frozen=True)
class ExampleSettings:
    """Everything :func:`example_app.app.create_app` needs.

    Attributes:
        providers: ``OAUTH_PROVIDERS``: provider name to settings.
        dev_provider_url: The development provider's base URL, when it is used.
        secret_key: Signs the session cookie, which holds the tokens. A random
            one by default, so that sign-ins end when the app restarts.
        dev_modern: Whether the dev login is a modern one: pushed (PAR) and
            with DPoP-bound tokens, against a dev provider that requires PAR and
            demands DPoP nonces. ``EXAMPLE_DEV_MODERN=0`` turns it off.
    """

    providers: Mapping[str, Mapping[str, Any]]
    dev_provider_url: str | None = None
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    dev_modern: bool = True

    @classmethod
    def build(cls, env: Mapping[str, str], *, dev_provider_url: str | None) -> ExampleSettings:
        """The settings for an environment, with the dev provider at ``dev_provider_url``.

        Raises:
            ConfigurationError: There is no provider at all to sign in with.
        """
        providers: dict[str, Mapping[str, Any]] = {}
        dev_modern = dev_modern_from_env(env)
        if dev_provider_url is not None:
            providers["dev"] = dev_provider_settings(dev_provider_url, modern=dev_modern)
        providers.update(providers_from_env(env))
        if not providers:
            raise ConfigurationError(
                "No provider to sign in with: run the dev provider, or set a provider's "
                "credentials (GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET, for instance)."
            )
        secret_key = env.get("EXAMPLE_SECRET_KEY") or secrets.token_urlsafe(32)
        return cls(providers, dev_provider_url, secret_key, dev_modern)


def dev_modern_from_env(env: Mapping[str, str]) -> bool:
    """``EXAMPLE_DEV_MODERN``: on unless it says ``0`` (or ``false``, ``no``, ``off``)."""
    return env.get("EXAMPLE_DEV_MODERN", "1").strip().lower() not in ("0", "false", "no", "off")


def dev_provider_settings(issuer: str, *, modern: bool = True) -> dict[str, Any]:
    """The ``OAUTH_PROVIDERS`` entry of the development provider at ``issuer``.

    ``modern`` pushes the login (PAR) and binds the tokens to a DPoP key made
    here, at start.
    """
    settings: dict[str, Any] = {
        "client_id": DEV_CLIENT_ID,
        "client_secret": DEV_CLIENT_SECRET,
        "authorize_url": f"{issuer}/authorize",
        "token_url": f"{issuer}/token",
        "revoke_url": f"{issuer}/revoke",
        "userinfo_url": f"{issuer}/userinfo",
        "scope": DEV_SCOPES,
    }
    if modern:
        settings.update(
            # The PAR endpoint is only ever discovered; the ID token is then checked too.
            server_metadata_url=f"{issuer}/.well-known/openid-configuration",
            par=True,
            dpop=True,
            dpop_key=_new_dpop_jwk(),
        )
    return settings


def _new_dpop_jwk() -> dict[str, Any]:
    """A new private P-256 JWK (ES256) for the dev login's DPoP proofs.

    The example is one process, and its sessions end when it restarts (the
    session key is random), so a key made at start is enough. It is passed as
    ``dpop_key`` rather than left for ``init_app`` to generate: then it counts as
    configured, and a shared token store (which refuses generated keys, as other
    workers could not use the tokens) would not stop the example from starting.
    A real app with several workers loads one key from its secrets instead.
    """
    from joserfc.jwk import ECKey  # the example extra installs joserfc

    jwk: dict[str, Any] = ECKey.generate_key("P-256", private=True).as_dict(private=True)
    return jwk


def dev_client(app_port: int) -> DevClient:
    """The example app as a client of the development provider, for an app on ``app_port``."""
    # The callback URL is built from the address in the browser's address bar, so
    # register both spellings of this machine: the dev provider matches URIs exactly.
    callbacks = tuple(
        f"http://{host}:{app_port}/login/dev/authorized" for host in ("127.0.0.1", "localhost")
    )
    return DevClient(DEV_CLIENT_ID, DEV_CLIENT_SECRET, callbacks, name="quart-oauthlib example")


def providers_from_env(env: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """An ``OAUTH_PROVIDERS`` entry for each preset whose credentials ``env`` has.

    A preset with placeholders in its URLs also reads them from ``env``
    (``OKTA_DOMAIN`` for Okta's ``{domain}``). A provider that still lacks
    one, or whose settings the library refuses, is left out with a warning
    naming what to set: one half-configured provider must not stop the others.
    """
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
        if not (client_id and client_secret):
            continue
        entry: dict[str, Any] = {"client_id": client_id, "client_secret": client_secret}
        missing: list[str] = []
        for placeholder in placeholders_of(preset):
            value = _placeholder_value(placeholder, env.get(f"{prefix}_{placeholder.upper()}", ""))
            if value:
                entry[placeholder] = value
            elif placeholder not in _OPTIONAL_PLACEHOLDERS and placeholder not in preset:
                missing.append(f"{prefix}_{placeholder.upper()}")
        if missing:
            log.warning(
                "%s_CLIENT_ID and %s_CLIENT_SECRET are set, but %s also needs %s (see "
                "docs/providers.rst); %s is left out until it is set.",
                prefix,
                prefix,
                name,
                " and ".join(missing),
                name,
            )
            continue
        try:
            # What init_app will check; real providers' URLs are https (only the
            # dev provider's are http).
            resolve_provider(name, entry, PRESETS, insecure_transport=False)
        except ConfigurationError as e:  # the message names the key, never a secret
            log.warning("%s is left out: %s", name, e)
            continue
        providers[name] = entry
    return providers


def placeholders_of(preset: ProviderSettings) -> list[str]:
    """The settings that fill placeholders in ``preset``'s URLs, in the library's order."""
    text = " ".join(value for value in preset.values() if isinstance(value, str))
    found = set(_PLACEHOLDER.findall(text))
    # Others ({access_token}, {uid}...) are filled from the token, not from settings.
    return [name for name in PLACEHOLDERS if name in found]


def _placeholder_value(placeholder: str, value: str) -> str:
    """``value`` cleaned up: ``OKTA_DOMAIN=https://dev-1.okta.com/`` means ``dev-1.okta.com``."""
    value = value.strip()
    if placeholder == "domain":
        value = value.removeprefix("https://").rstrip("/")
    return value


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
