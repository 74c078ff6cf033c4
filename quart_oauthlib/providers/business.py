"""Work and commerce: Dropbox, Box, Zoom, Salesforce, HubSpot, Shopify, Mailchimp and more."""

from __future__ import annotations

from typing import Final

from ..client.compliance_fixes import mailchimp_compliance_fix
from ._helpers import first, full_name
from .settings import ProviderSettings

__all__ = ["PRESETS"]

#: Dropbox: ``token_access_type=offline`` asks for a refresh token; userinfo is a bodiless POST.
DROPBOX: Final = ProviderSettings(
    api_base_url="https://api.dropboxapi.com/2/",
    authorize_url="https://www.dropbox.com/oauth2/authorize",
    token_url="https://api.dropboxapi.com/oauth2/token",
    userinfo_url="https://api.dropboxapi.com/2/users/get_current_account",
    userinfo_method="POST",
    scope=["account_info.read"],
    authorize_params={"token_access_type": "offline"},
    profile={
        "id": "account_id",
        "email": "email",
        "email_verified": "email_verified",
        "name": "name.display_name",
        "avatar_url": "profile_photo_url",
    },
)

BOX: Final = ProviderSettings(
    api_base_url="https://api.box.com/2.0/",
    authorize_url="https://account.box.com/api/oauth2/authorize",
    token_url="https://api.box.com/oauth2/token",
    revoke_url="https://api.box.com/oauth2/revoke",
    userinfo_url="https://api.box.com/2.0/users/me",
    scope=None,
    token_endpoint_auth_method="client_secret_post",
    pkce=None,
    profile={"id": "id", "email": "login", "name": "name", "avatar_url": "avatar_url"},
)

#: Zoom: scopes are chosen on the app.
ZOOM: Final = ProviderSettings(
    api_base_url="https://api.zoom.us/v2/",
    authorize_url="https://zoom.us/oauth/authorize",
    token_url="https://zoom.us/oauth/token",
    revoke_url="https://zoom.us/oauth/revoke",
    userinfo_url="https://api.zoom.us/v2/users/me",
    scope=None,
    profile={
        "id": "id",
        "email": "email",
        "email_verified": "verified",
        "name": first("display_name", full_name("first_name", "last_name")),
        "avatar_url": "pic_url",
    },
)

#: Salesforce (production; set the URLs to ``test.salesforce.com`` or My Domain otherwise).
SALESFORCE: Final = ProviderSettings(
    server_metadata_url="https://login.salesforce.com/.well-known/openid-configuration",
    authorize_url="https://login.salesforce.com/services/oauth2/authorize",
    token_url="https://login.salesforce.com/services/oauth2/token",
    revoke_url="https://login.salesforce.com/services/oauth2/revoke",
    userinfo_url="https://login.salesforce.com/services/oauth2/userinfo",
    scope=["openid", "email", "profile", "refresh_token"],
    token_endpoint_auth_method="client_secret_post",
    profile={"id": "user_id"},
)

#: HubSpot: the token's own metadata names the user.
HUBSPOT: Final = ProviderSettings(
    api_base_url="https://api.hubapi.com/",
    authorize_url="https://app.hubspot.com/oauth/authorize",
    token_url="https://api.hubapi.com/oauth/v1/token",
    userinfo_url="https://api.hubapi.com/oauth/v1/access-tokens/{access_token}",
    scope=["oauth"],
    token_endpoint_auth_method="client_secret_post",
    pkce=None,
    profile={"id": "user_id", "email": "user", "name": "user"},
)

#: Shopify (``shop``: the store's name in ``<shop>.myshopify.com``). The profile is the shop's.
SHOPIFY: Final = ProviderSettings(
    api_base_url="https://{shop}.myshopify.com/admin/api/2024-10/",
    authorize_url="https://{shop}.myshopify.com/admin/oauth/authorize",
    token_url="https://{shop}.myshopify.com/admin/oauth/access_token",
    userinfo_url="https://{shop}.myshopify.com/admin/api/2024-10/shop.json",
    userinfo_headers={"X-Shopify-Access-Token": "{access_token}"},
    scope=["read_products"],
    scope_separator=",",
    token_endpoint_auth_method="client_secret_post",
    pkce=None,
    profile={"id": "shop.id", "email": "shop.email", "name": "shop.shop_owner"},
)

#: Mailchimp: the metadata endpoint wants ``Authorization: OAuth <token>``.
MAILCHIMP: Final = ProviderSettings(
    authorize_url="https://login.mailchimp.com/oauth2/authorize",
    token_url="https://login.mailchimp.com/oauth2/token",
    userinfo_url="https://login.mailchimp.com/oauth2/metadata",
    userinfo_headers={"Authorization": "OAuth {access_token}"},
    scope=None,
    token_endpoint_auth_method="client_secret_post",
    pkce=None,
    compliance_fix=mailchimp_compliance_fix,
    profile={
        "id": "user_id",
        "email": "login.login_email",
        "name": first("login.login_name", "accountname"),
        "avatar_url": "login.avatar",
    },
)

#: Zoho (US data centre; other regions use their own ``accounts.zoho.<tld>``).
ZOHO: Final = ProviderSettings(
    api_base_url="https://www.zohoapis.com/",
    authorize_url="https://accounts.zoho.com/oauth/v2/auth",
    token_url="https://accounts.zoho.com/oauth/v2/token",
    revoke_url="https://accounts.zoho.com/oauth/v2/token/revoke",
    userinfo_url="https://accounts.zoho.com/oauth/user/info",
    userinfo_headers={"Authorization": "Zoho-oauthtoken {access_token}"},
    scope=["AaaServer.profile.Read"],
    scope_separator=",",
    token_endpoint_auth_method="client_secret_post",
    pkce=None,
    authorize_params={"access_type": "offline"},
    profile={"id": "ZUID", "email": "Email", "name": "Display_Name"},
)

#: Etsy Open API v3: a public client with PKCE; the API also wants the key as ``x-api-key``.
ETSY: Final = ProviderSettings(
    api_base_url="https://api.etsy.com/v3/application/",
    authorize_url="https://www.etsy.com/oauth/connect",
    token_url="https://api.etsy.com/v3/public/oauth/token",
    userinfo_url="https://api.etsy.com/v3/application/users/me",
    userinfo_headers={"x-api-key": "{client_id}"},
    scope=["email_r"],
    token_endpoint_auth_method="none",
    profile={"id": "user_id"},
)

PRESETS: Final[dict[str, ProviderSettings]] = {
    "box": BOX,
    "dropbox": DROPBOX,
    "etsy": ETSY,
    "hubspot": HUBSPOT,
    "mailchimp": MAILCHIMP,
    "salesforce": SALESFORCE,
    "shopify": SHOPIFY,
    "zoho": ZOHO,
    "zoom": ZOOM,
}
