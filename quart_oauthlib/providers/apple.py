"""Sign in with Apple: a client secret that is a signed JWT, and ``form_post`` answers.

Apple's client secret is an ES256 JWT signed with a key from the developer
account (``team_id``, ``key_id`` and the ``.p8`` ``private_key`` PEM in the
provider's settings). It is made at request time with a short lifetime, so
no long-lived secret is ever stored. Apple has no userinfo endpoint: the
user's id and e-mail come from the verified ID token's claims, which
``profile()`` maps. Needs the ``jose`` extra.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Final

from ..errors import ConfigurationError
from .settings import ProviderSettings

if TYPE_CHECKING:
    from .settings import ProviderConfig

__all__ = ["APPLE", "APPLE_AUDIENCE", "SECRET_LIFETIME", "apple_client_secret"]

APPLE_AUDIENCE: Final = "https://appleid.apple.com"
#: Seconds a generated client secret is valid (Apple allows up to six months).
SECRET_LIFETIME: Final = 300


def apple_client_secret(config: ProviderConfig) -> str:
    """A fresh client secret: an ES256 JWT from ``team_id``, ``key_id`` and ``private_key``.

    Raises:
        ConfigurationError: joserfc is missing, or the key is no EC P-256 private key.
    """
    try:
        from joserfc import jwt
        from joserfc.jwk import ECKey
    except ImportError as exc:  # pragma: no cover - the jose extra is installed in tests
        raise ConfigurationError(
            "Sign in with Apple signs its client secret with joserfc: "
            "pip install 'quart-oauthlib[jose]'."
        ) from exc
    params = config.secret_params
    try:
        key = ECKey.import_key(params["private_key"])
    except (KeyError, ValueError) as exc:
        raise ConfigurationError(
            f"OAUTH_PROVIDERS[{config.name!r}]: private_key must be the EC P-256 key "
            "(.p8 PEM) Apple issued."
        ) from exc
    now = int(time.time())
    claims = {
        "iss": params.get("team_id", ""),
        "iat": now,
        "exp": now + SECRET_LIFETIME,
        "aud": APPLE_AUDIENCE,
        "sub": config.client_id,
    }
    return jwt.encode({"alg": "ES256", "kid": params.get("key_id", "")}, claims, key)


#: ``client_id`` is the Services ID. OpenID Connect, discovered on first use: the
#: ID token is checked, and as there is no userinfo endpoint the profile comes from
#: its claims. Apple sends the name only once, in the first form_post.
APPLE: Final = ProviderSettings(
    server_metadata_url="https://appleid.apple.com/.well-known/openid-configuration",
    revoke_url="https://appleid.apple.com/auth/revoke",
    scope=["openid", "name", "email"],
    token_endpoint_auth_method="client_secret_post",
    pkce=None,
    authorize_params={"response_mode": "form_post"},
    client_secret_factory=apple_client_secret,
    profile={"id": "sub", "email": "email", "email_verified": "email_verified"},
)
