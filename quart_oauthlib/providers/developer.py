"""Developer tools and communities: Gitea, Heroku, DigitalOcean, Atlassian, Notion and more."""

from __future__ import annotations

from typing import Final

from ._helpers import first, template
from .settings import ProviderSettings

__all__ = ["PRESETS"]

#: Gitea or Forgejo (``domain``: ``gitea.com`` or your server), through its OpenID Connect.
GITEA: Final = ProviderSettings(
    server_metadata_url="https://{domain}/.well-known/openid-configuration",
    api_base_url="https://{domain}/api/v1/",
    authorize_url="https://{domain}/login/oauth/authorize",
    token_url="https://{domain}/login/oauth/access_token",
    userinfo_url="https://{domain}/login/oauth/userinfo",
    scope=["openid", "email", "profile"],
    token_endpoint_auth_method="client_secret_post",
    profile={"name": first("name", "preferred_username")},
)

HEROKU: Final = ProviderSettings(
    api_base_url="https://api.heroku.com/",
    authorize_url="https://id.heroku.com/oauth/authorize",
    token_url="https://id.heroku.com/oauth/token",
    userinfo_url="https://api.heroku.com/account",
    userinfo_headers={"Accept": "application/vnd.heroku+json; version=3"},
    scope=["identity"],
    token_endpoint_auth_method="client_secret_post",
    pkce=None,
    profile={"id": "id", "email": "email", "email_verified": "verified", "name": "name"},
)

DIGITALOCEAN: Final = ProviderSettings(
    api_base_url="https://api.digitalocean.com/v2/",
    authorize_url="https://cloud.digitalocean.com/v1/oauth/authorize",
    token_url="https://cloud.digitalocean.com/v1/oauth/token",
    revoke_url="https://cloud.digitalocean.com/v1/oauth/revoke",
    userinfo_url="https://api.digitalocean.com/v2/account",
    scope=["read"],
    token_endpoint_auth_method="client_secret_post",
    pkce=None,
    profile={
        "id": "account.uuid",
        "email": "account.email",
        "email_verified": "account.email_verified",
    },
)

#: Atlassian (Jira, Confluence) OAuth 2.0 (3LO).
ATLASSIAN: Final = ProviderSettings(
    api_base_url="https://api.atlassian.com/",
    authorize_url="https://auth.atlassian.com/authorize",
    token_url="https://auth.atlassian.com/oauth/token",
    userinfo_url="https://api.atlassian.com/me",
    scope=["read:me", "offline_access"],
    token_endpoint_auth_method="client_secret_post",
    pkce=None,
    authorize_params={"audience": "api.atlassian.com", "prompt": "consent"},
    profile={"id": "account_id", "avatar_url": "picture"},
)

#: Notion public integrations: the token's bot user names its owner.
NOTION: Final = ProviderSettings(
    api_base_url="https://api.notion.com/v1/",
    authorize_url="https://api.notion.com/v1/oauth/authorize",
    token_url="https://api.notion.com/v1/oauth/token",
    userinfo_url="https://api.notion.com/v1/users/me",
    userinfo_headers={"Notion-Version": "2022-06-28"},
    scope=None,
    pkce=None,
    authorize_params={"owner": "user"},
    profile={
        "id": "bot.owner.user.id",
        "email": "bot.owner.user.person.email",
        "name": "bot.owner.user.name",
        "avatar_url": "bot.owner.user.avatar_url",
    },
)

FIGMA: Final = ProviderSettings(
    api_base_url="https://api.figma.com/v1/",
    authorize_url="https://www.figma.com/oauth",
    token_url="https://api.figma.com/v1/oauth/token",
    userinfo_url="https://api.figma.com/v1/me",
    scope=["current_user:read"],
    profile={"id": "id", "email": "email", "name": "handle", "avatar_url": "img_url"},
)

#: Nextcloud (``domain``: your server). OCS wants its request header.
NEXTCLOUD: Final = ProviderSettings(
    api_base_url="https://{domain}/",
    authorize_url="https://{domain}/index.php/apps/oauth2/authorize",
    token_url="https://{domain}/index.php/apps/oauth2/api/v1/token",
    userinfo_url="https://{domain}/ocs/v2.php/cloud/user?format=json",
    userinfo_headers={"OCS-APIRequest": "true"},
    scope=None,
    token_endpoint_auth_method="client_secret_post",
    pkce=None,
    profile={"id": "ocs.data.id", "email": "ocs.data.email", "name": "ocs.data.displayname"},
)

#: Stack Exchange: ``api_key`` is the app's request key; the API reads the token from the query.
STACKEXCHANGE: Final = ProviderSettings(
    api_base_url="https://api.stackexchange.com/2.3/",
    authorize_url="https://stackoverflow.com/oauth",
    token_url="https://stackoverflow.com/oauth/access_token/json",
    userinfo_url="https://api.stackexchange.com/2.3/me?site=stackoverflow&key={api_key}",
    userinfo_token="query",
    scope=None,
    token_endpoint_auth_method="client_secret_post",
    pkce=None,
    profile={
        "id": "items.0.user_id",
        "name": "items.0.display_name",
        "avatar_url": "items.0.profile_image",
    },
)

#: Mastodon (``domain``: the instance). Register the app on each instance.
MASTODON: Final = ProviderSettings(
    api_base_url="https://{domain}/api/v1/",
    authorize_url="https://{domain}/oauth/authorize",
    token_url="https://{domain}/oauth/token",
    revoke_url="https://{domain}/oauth/revoke",
    userinfo_url="https://{domain}/api/v1/accounts/verify_credentials",
    scope=["read:accounts"],
    token_endpoint_auth_method="client_secret_post",
    profile={"id": "id", "name": first("display_name", "username"), "avatar_url": "avatar"},
)

OPENSTREETMAP: Final = ProviderSettings(
    api_base_url="https://api.openstreetmap.org/api/0.6/",
    authorize_url="https://www.openstreetmap.org/oauth2/authorize",
    token_url="https://www.openstreetmap.org/oauth2/token",
    revoke_url="https://www.openstreetmap.org/oauth2/revoke",
    userinfo_url="https://api.openstreetmap.org/api/0.6/user/details.json",
    scope=["read_prefs"],
    token_endpoint_auth_method="client_secret_post",
    profile={"id": "user.id", "name": "user.display_name", "avatar_url": "user.img.href"},
)

#: Trello (OAuth 1.0a).
TRELLO: Final = ProviderSettings(
    api_base_url="https://api.trello.com/1/",
    version=1,
    request_token_url="https://trello.com/1/OAuthGetRequestToken",
    authorize_url="https://trello.com/1/OAuthAuthorizeToken",
    access_token_url="https://trello.com/1/OAuthGetAccessToken",
    userinfo_url="https://api.trello.com/1/members/me",
    profile={
        "id": "id",
        "email": "email",
        "name": first("fullName", "username"),
        "avatar_url": template("{avatarUrl}/170.png", "avatarUrl"),
    },
)

PRESETS: Final[dict[str, ProviderSettings]] = {
    "atlassian": ATLASSIAN,
    "digitalocean": DIGITALOCEAN,
    "figma": FIGMA,
    "gitea": GITEA,
    "heroku": HEROKU,
    "mastodon": MASTODON,
    "nextcloud": NEXTCLOUD,
    "notion": NOTION,
    "openstreetmap": OPENSTREETMAP,
    "stackexchange": STACKEXCHANGE,
    "trello": TRELLO,
}
