"""Identity providers: Microsoft consumer accounts, Okta, Auth0, Keycloak, Cognito and more.

Per-tenant URLs hold ``{domain}``, ``{realm}`` or ``{region}``, filled from
the provider's settings; a missing one is a ConfigurationError naming it.
"""

from __future__ import annotations

from typing import Final

from ._helpers import first, full_name, template
from .settings import ProviderSettings

__all__ = ["PRESETS"]

_OIDC_SCOPE = ["openid", "email", "profile"]

#: Personal Microsoft accounts (Outlook.com, Xbox) only: Entra ID's "consumers" tenant.
#: OpenID Connect, as ``microsoft``: the issuer is the consumers tenant's own id, checked
#: against each ID token's ``tid``; userinfo is the OpenID one (Graph's ``/me`` has no ``sub``).
MICROSOFT_CONSUMERS: Final = ProviderSettings(
    server_metadata_url=(
        "https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration"
    ),
    issuer="https://login.microsoftonline.com/{tenantid}/v2.0",
    api_base_url="https://graph.microsoft.com/v1.0/",
    authorize_url="https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
    token_url="https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
    tenant="consumers",
    scope=["openid", "email", "profile", "offline_access", "User.Read"],
    token_endpoint_auth_method="client_secret_post",
    profile={
        "id": first("id", "sub"),
        "email": first("mail", "email", "userPrincipalName"),
        "name": first("displayName", "name"),
    },
)

#: Okta: ``domain`` is your Okta host (``dev-123.okta.com``); the default authorization server.
OKTA: Final = ProviderSettings(
    server_metadata_url="https://{domain}/oauth2/default/.well-known/openid-configuration",
    api_base_url="https://{domain}/api/v1/",
    authorize_url="https://{domain}/oauth2/default/v1/authorize",
    token_url="https://{domain}/oauth2/default/v1/token",
    revoke_url="https://{domain}/oauth2/default/v1/revoke",
    userinfo_url="https://{domain}/oauth2/default/v1/userinfo",
    scope=_OIDC_SCOPE,
)

#: Auth0: ``domain`` is the tenant's host (``example.eu.auth0.com``) or a custom domain.
AUTH0: Final = ProviderSettings(
    server_metadata_url="https://{domain}/.well-known/openid-configuration",
    api_base_url="https://{domain}/",
    authorize_url="https://{domain}/authorize",
    token_url="https://{domain}/oauth/token",
    revoke_url="https://{domain}/oauth/revoke",
    userinfo_url="https://{domain}/userinfo",
    scope=_OIDC_SCOPE,
    token_endpoint_auth_method="client_secret_post",
)

#: Keycloak: ``domain`` is the server's host, ``realm`` the realm.
KEYCLOAK: Final = ProviderSettings(
    server_metadata_url="https://{domain}/realms/{realm}/.well-known/openid-configuration",
    authorize_url="https://{domain}/realms/{realm}/protocol/openid-connect/auth",
    token_url="https://{domain}/realms/{realm}/protocol/openid-connect/token",
    revoke_url="https://{domain}/realms/{realm}/protocol/openid-connect/revoke",
    userinfo_url="https://{domain}/realms/{realm}/protocol/openid-connect/userinfo",
    scope=_OIDC_SCOPE,
)

#: AWS Cognito hosted UI: ``domain`` is the user pool's domain prefix, ``region`` its
#: region, and ``realm`` the user pool id (``eu-west-1_AbCdEf123``), whose metadata
#: and keys check the ID tokens.
COGNITO: Final = ProviderSettings(
    server_metadata_url=(
        "https://cognito-idp.{region}.amazonaws.com/{realm}/.well-known/openid-configuration"
    ),
    authorize_url="https://{domain}.auth.{region}.amazoncognito.com/oauth2/authorize",
    token_url="https://{domain}.auth.{region}.amazoncognito.com/oauth2/token",
    revoke_url="https://{domain}.auth.{region}.amazoncognito.com/oauth2/revoke",
    userinfo_url="https://{domain}.auth.{region}.amazoncognito.com/oauth2/userInfo",
    scope=_OIDC_SCOPE,
    profile={"name": first("name", "username")},
)

YAHOO: Final = ProviderSettings(
    server_metadata_url="https://api.login.yahoo.com/.well-known/openid-configuration",
    api_base_url="https://api.login.yahoo.com/",
    authorize_url="https://api.login.yahoo.com/oauth2/request_auth",
    token_url="https://api.login.yahoo.com/oauth2/get_token",
    userinfo_url="https://api.login.yahoo.com/openid/v1/userinfo",
    scope=_OIDC_SCOPE,
    pkce=None,
)

#: Yandex ID. The userinfo endpoint wants ``Authorization: OAuth <token>``.
YANDEX: Final = ProviderSettings(
    authorize_url="https://oauth.yandex.com/authorize",
    token_url="https://oauth.yandex.com/token",
    userinfo_url="https://login.yandex.ru/info?format=json",
    userinfo_headers={"Authorization": "OAuth {access_token}"},
    scope=["login:info", "login:email", "login:avatar"],
    token_endpoint_auth_method="client_secret_post",
    profile={
        "id": "id",
        "email": "default_email",
        "name": first("display_name", "real_name", "login"),
        "avatar_url": template(
            "https://avatars.yandex.net/get-yapic/{default_avatar_id}/islands-200",
            "default_avatar_id",
        ),
    },
)

#: Login with Amazon.
AMAZON: Final = ProviderSettings(
    api_base_url="https://api.amazon.com/",
    authorize_url="https://www.amazon.com/ap/oa",
    token_url="https://api.amazon.com/auth/o2/token",
    userinfo_url="https://api.amazon.com/user/profile",
    scope=["profile"],
    token_endpoint_auth_method="client_secret_post",
    profile={"id": "user_id", "email": "email", "name": "name"},
)

#: Log in with PayPal (live; use ``api-m.sandbox.paypal.com`` URLs for the sandbox).
PAYPAL: Final = ProviderSettings(
    api_base_url="https://api-m.paypal.com/",
    authorize_url="https://www.paypal.com/signin/authorize",
    token_url="https://api-m.paypal.com/v1/oauth2/token",
    userinfo_url="https://api-m.paypal.com/v1/identity/openidconnect/userinfo?schema=openid",
    scope=["openid", "email", "profile"],
    pkce=None,
    profile={"id": first("user_id", "sub")},
)

ORCID: Final = ProviderSettings(
    server_metadata_url="https://orcid.org/.well-known/openid-configuration",
    api_base_url="https://pub.orcid.org/v3.0/",
    authorize_url="https://orcid.org/oauth/authorize",
    token_url="https://orcid.org/oauth/token",
    userinfo_url="https://orcid.org/oauth/userinfo",
    scope=["openid"],
    token_endpoint_auth_method="client_secret_post",
    pkce=None,
    profile={"name": full_name("given_name", "family_name")},
)

XERO: Final = ProviderSettings(
    server_metadata_url="https://identity.xero.com/.well-known/openid-configuration",
    api_base_url="https://api.xero.com/",
    authorize_url="https://login.xero.com/identity/connect/authorize",
    token_url="https://identity.xero.com/connect/token",
    revoke_url="https://identity.xero.com/connect/revocation",
    userinfo_url="https://identity.xero.com/connect/userinfo",
    scope=["openid", "profile", "email", "offline_access"],
    profile={"name": full_name("given_name", "family_name")},
)

#: Intuit (QuickBooks) "Sign in with Intuit".
INTUIT: Final = ProviderSettings(
    server_metadata_url="https://developer.api.intuit.com/.well-known/openid_configuration",
    # The metadata URL is not under the issuer, so the issuer is named.
    issuer="https://oauth.platform.intuit.com/op/v1",
    api_base_url="https://quickbooks.api.intuit.com/",
    authorize_url="https://appcenter.intuit.com/connect/oauth2",
    token_url="https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
    revoke_url="https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
    userinfo_url="https://accounts.platform.intuit.com/v1/openid_connect/userinfo",
    scope=_OIDC_SCOPE,
    pkce=None,
    profile={"email_verified": "emailVerified", "name": full_name("givenName", "familyName")},
)

PRESETS: Final[dict[str, ProviderSettings]] = {
    "amazon": AMAZON,
    "auth0": AUTH0,
    "cognito": COGNITO,
    "intuit": INTUIT,
    "keycloak": KEYCLOAK,
    "microsoft_consumers": MICROSOFT_CONSUMERS,
    "okta": OKTA,
    "orcid": ORCID,
    "paypal": PAYPAL,
    "xero": XERO,
    "yahoo": YAHOO,
    "yandex": YANDEX,
}
