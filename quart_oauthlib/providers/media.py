"""Media, games and fitness: Twitch, Spotify, Strava, Fitbit, Patreon, Battle.net."""

from __future__ import annotations

from typing import Final

from ..client.compliance_fixes import fitbit_compliance_fix
from ._helpers import first, full_name
from .settings import ProviderSettings

__all__ = ["PRESETS"]

#: Twitch: Helix wants the app's ``Client-Id`` beside the token.
TWITCH: Final = ProviderSettings(
    api_base_url="https://api.twitch.tv/helix/",
    authorize_url="https://id.twitch.tv/oauth2/authorize",
    token_url="https://id.twitch.tv/oauth2/token",
    revoke_url="https://id.twitch.tv/oauth2/revoke",
    userinfo_url="https://api.twitch.tv/helix/users",
    userinfo_headers={"Client-Id": "{client_id}"},
    scope=["user:read:email"],
    token_endpoint_auth_method="client_secret_post",
    pkce=None,
    profile={
        "id": "data.0.id",
        "email": "data.0.email",
        "name": first("data.0.display_name", "data.0.login"),
        "avatar_url": "data.0.profile_image_url",
    },
)

SPOTIFY: Final = ProviderSettings(
    api_base_url="https://api.spotify.com/v1/",
    authorize_url="https://accounts.spotify.com/authorize",
    token_url="https://accounts.spotify.com/api/token",
    userinfo_url="https://api.spotify.com/v1/me",
    scope=["user-read-email", "user-read-private"],
    profile={"id": "id", "email": "email", "name": "display_name", "avatar_url": "images.0.url"},
)

#: Strava: comma-separated scopes; no e-mail in its API.
STRAVA: Final = ProviderSettings(
    api_base_url="https://www.strava.com/api/v3/",
    authorize_url="https://www.strava.com/oauth/authorize",
    token_url="https://www.strava.com/oauth/token",
    userinfo_url="https://www.strava.com/api/v3/athlete",
    scope=["read"],
    scope_separator=",",
    token_endpoint_auth_method="client_secret_post",
    pkce=None,
    profile={"id": "id", "name": full_name("firstname", "lastname"), "avatar_url": "profile"},
)

FITBIT: Final = ProviderSettings(
    api_base_url="https://api.fitbit.com/",
    authorize_url="https://www.fitbit.com/oauth2/authorize",
    token_url="https://api.fitbit.com/oauth2/token",
    revoke_url="https://api.fitbit.com/oauth2/revoke",
    userinfo_url="https://api.fitbit.com/1/user/-/profile.json",
    scope=["profile"],
    compliance_fix=fitbit_compliance_fix,
    profile={
        "id": "user.encodedId",
        "name": first("user.displayName", "user.fullName"),
        "avatar_url": first("user.avatar150", "user.avatar"),
    },
)

PATREON: Final = ProviderSettings(
    api_base_url="https://www.patreon.com/api/oauth2/v2/",
    authorize_url="https://www.patreon.com/oauth2/authorize",
    token_url="https://www.patreon.com/api/oauth2/token",
    userinfo_url=(
        "https://www.patreon.com/api/oauth2/v2/identity"
        "?fields%5Buser%5D=email,full_name,image_url,is_email_verified"
    ),
    scope=["identity", "identity[email]"],
    token_endpoint_auth_method="client_secret_post",
    pkce=None,
    profile={
        "id": "data.id",
        "email": "data.attributes.email",
        "email_verified": "data.attributes.is_email_verified",
        "name": "data.attributes.full_name",
        "avatar_url": "data.attributes.image_url",
    },
)

#: Battle.net (global region; China uses ``oauth.battlenet.com.cn``).
BATTLENET: Final = ProviderSettings(
    server_metadata_url="https://oauth.battle.net/.well-known/openid-configuration",
    authorize_url="https://oauth.battle.net/authorize",
    token_url="https://oauth.battle.net/token",
    userinfo_url="https://oauth.battle.net/userinfo",
    scope=["openid"],
    pkce=None,
    profile={"id": first("sub", "id"), "name": "battletag"},
)

PRESETS: Final[dict[str, ProviderSettings]] = {
    "battlenet": BATTLENET,
    "fitbit": FITBIT,
    "patreon": PATREON,
    "spotify": SPOTIFY,
    "strava": STRAVA,
    "twitch": TWITCH,
}
