"""Presets: endpoints, default scope, client authentication, fixes and userinfo URL.

Each preset is plain data, a :class:`~quart_oauthlib.providers.settings.ProviderSettings`.
A provider named like a preset (or with ``preset="github"``) starts from it;
every key can be overridden in ``OAUTH_PROVIDERS``.

To add one, see ``CONTRIBUTING`` in this package's ``__init__``: a constant
here, an entry in :data:`PRESETS`, and a test in ``tests/providers/``.
"""

from __future__ import annotations

from typing import Final

from ..client.compliance_fixes import facebook_compliance_fix, slack_compliance_fix
from ._helpers import first, template
from .settings import ProviderSettings

__all__ = ["PRESETS"]

GITHUB: Final = ProviderSettings(
    api_base_url="https://api.github.com/",
    authorize_url="https://github.com/login/oauth/authorize",
    token_url="https://github.com/login/oauth/access_token",
    userinfo_url="https://api.github.com/user",
    scope=["read:user", "user:email"],
    token_endpoint_auth_method="client_secret_post",
    # ``email`` is null unless the user made one public; ``name`` may be null too.
    profile={"id": "id", "name": first("name", "login"), "avatar_url": "avatar_url"},
)

#: OpenID Connect: endpoints, keys and userinfo come from discovery on first use.
GOOGLE: Final = ProviderSettings(
    api_base_url="https://www.googleapis.com/",
    server_metadata_url="https://accounts.google.com/.well-known/openid-configuration",
    scope=["openid", "email", "profile"],
    token_endpoint_auth_method="client_secret_post",
)

#: OpenID Connect (gitlab.com; set server_metadata_url for a self-managed instance).
#: ``read_user`` also lets the token call the REST API's ``/api/v4/user``.
GITLAB: Final = ProviderSettings(
    api_base_url="https://gitlab.com/api/v4/",
    server_metadata_url="https://gitlab.com/.well-known/openid-configuration",
    scope=["openid", "profile", "email", "read_user"],
    token_endpoint_auth_method="client_secret_post",
    profile={"id": first("id", "sub"), "avatar_url": first("avatar_url", "picture")},
)

#: Microsoft Entra ID (Azure AD), OpenID Connect. Set ``tenant`` to your tenant id or
#: domain; "common" (the default) admits work, school and personal accounts. The
#: ``{tenantid}`` issuer is a template: each ID token must come from its own ``tid``'s
#: issuer (and from the tenant's, when the metadata names one).
MICROSOFT: Final = ProviderSettings(
    api_base_url="https://graph.microsoft.com/v1.0/",
    server_metadata_url=(
        "https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration"
    ),
    issuer="https://login.microsoftonline.com/{tenantid}/v2.0",
    scope=["openid", "email", "profile", "offline_access", "User.Read"],
    token_endpoint_auth_method="client_secret_post",
    profile={
        "id": first("id", "sub"),
        "email": first("mail", "email", "userPrincipalName"),
        "name": first("displayName", "name"),
    },
)

FACEBOOK: Final = ProviderSettings(
    api_base_url="https://graph.facebook.com/v19.0/",
    authorize_url="https://www.facebook.com/v19.0/dialog/oauth",
    token_url="https://graph.facebook.com/v19.0/oauth/access_token",
    userinfo_url="https://graph.facebook.com/me?fields=id,name,email",
    scope=["public_profile", "email"],
    token_endpoint_auth_method="client_secret_post",
    compliance_fix=facebook_compliance_fix,
    profile={
        "id": "id",
        "avatar_url": template("https://graph.facebook.com/{id}/picture?type=large", "id"),
    },
)

DISCORD: Final = ProviderSettings(
    api_base_url="https://discord.com/api/",
    authorize_url="https://discord.com/oauth2/authorize",
    token_url="https://discord.com/api/oauth2/token",
    revoke_url="https://discord.com/api/oauth2/token/revoke",
    userinfo_url="https://discord.com/api/users/@me",
    scope=["identify", "email"],
    token_endpoint_auth_method="client_secret_basic",
    profile={
        "id": "id",
        "email_verified": "verified",
        "name": first("global_name", "username"),
        "avatar_url": template(
            "https://cdn.discordapp.com/avatars/{id}/{avatar}.png", "id", "avatar"
        ),
    },
)

#: "Sign in with Slack" (OpenID Connect). Slack ignores PKCE for web apps.
SLACK: Final = ProviderSettings(
    server_metadata_url="https://slack.com/.well-known/openid-configuration",
    api_base_url="https://slack.com/api/",
    authorize_url="https://slack.com/openid/connect/authorize",
    token_url="https://slack.com/api/openid.connect.token",
    userinfo_url="https://slack.com/api/openid.connect.userInfo",
    scope=["openid", "email", "profile"],
    token_endpoint_auth_method="client_secret_post",
    pkce=None,
    compliance_fix=slack_compliance_fix,
)

#: X (Twitter) OAuth 2.0 with PKCE, which X requires.
TWITTER: Final = ProviderSettings(
    api_base_url="https://api.x.com/2/",
    authorize_url="https://x.com/i/oauth2/authorize",
    token_url="https://api.x.com/2/oauth2/token",
    revoke_url="https://api.x.com/2/oauth2/revoke",
    userinfo_url="https://api.x.com/2/users/me",
    scope=["tweet.read", "users.read", "offline.access"],
    token_endpoint_auth_method="client_secret_basic",
    pkce="S256",
    profile={
        "id": "data.id",
        "name": first("data.name", "data.username"),
        "avatar_url": "data.profile_image_url",
    },
)

#: X (Twitter) OAuth 1.0a, "Sign in with X".
TWITTER_OAUTH1: Final = ProviderSettings(
    api_base_url="https://api.x.com/1.1/",
    version=1,
    request_token_url="https://api.x.com/oauth/request_token",
    authorize_url="https://api.x.com/oauth/authenticate",
    access_token_url="https://api.x.com/oauth/access_token",
    userinfo_url="https://api.x.com/1.1/account/verify_credentials.json",
    profile={
        "id": "id_str",
        "name": first("name", "screen_name"),
        "avatar_url": "profile_image_url_https",
    },
)

#: Bitbucket Cloud: scopes are set on the OAuth consumer, not in the request.
BITBUCKET: Final = ProviderSettings(
    api_base_url="https://api.bitbucket.org/2.0/",
    authorize_url="https://bitbucket.org/site/oauth2/authorize",
    token_url="https://bitbucket.org/site/oauth2/access_token",
    userinfo_url="https://api.bitbucket.org/2.0/user",
    scope=None,
    token_endpoint_auth_method="client_secret_basic",
    pkce=None,
    profile={"id": "uuid", "name": "display_name", "avatar_url": "links.avatar.href"},
)

#: LinkedIn "Sign In with LinkedIn using OpenID Connect". PKCE is for native apps only.
LINKEDIN: Final = ProviderSettings(
    server_metadata_url="https://www.linkedin.com/oauth/.well-known/openid-configuration",
    api_base_url="https://api.linkedin.com/v2/",
    authorize_url="https://www.linkedin.com/oauth/v2/authorization",
    token_url="https://www.linkedin.com/oauth/v2/accessToken",
    revoke_url="https://www.linkedin.com/oauth/v2/revoke",
    userinfo_url="https://api.linkedin.com/v2/userinfo",
    scope=["openid", "profile", "email"],
    token_endpoint_auth_method="client_secret_post",
    pkce=None,
)

#: Every preset by name; ``x`` is an alias of ``twitter``.
PRESETS: Final[dict[str, ProviderSettings]] = {
    "bitbucket": BITBUCKET,
    "discord": DISCORD,
    "facebook": FACEBOOK,
    "github": GITHUB,
    "gitlab": GITLAB,
    "google": GOOGLE,
    "linkedin": LINKEDIN,
    "microsoft": MICROSOFT,
    "slack": SLACK,
    "twitter": TWITTER,
    "twitter_oauth1": TWITTER_OAUTH1,
    "x": TWITTER,
}
