"""Social networks: Instagram, Reddit, Tumblr, VK, Weibo, Kakao, Naver, LINE and more."""

from __future__ import annotations

from typing import Final

from ..client.compliance_fixes import instagram_compliance_fix, weibo_compliance_fix
from ._helpers import first, full_name
from .settings import ProviderSettings

__all__ = ["PRESETS"]

#: Instagram API with Instagram Login (professional accounts; Basic Display ended in 2024).
INSTAGRAM: Final = ProviderSettings(
    api_base_url="https://graph.instagram.com/",
    authorize_url="https://www.instagram.com/oauth/authorize",
    token_url="https://api.instagram.com/oauth/access_token",
    userinfo_url="https://graph.instagram.com/me?fields=user_id,username,name,profile_picture_url",
    scope=["instagram_business_basic"],
    scope_separator=",",
    token_endpoint_auth_method="client_secret_post",
    pkce=None,
    compliance_fix=instagram_compliance_fix,
    profile={
        "id": first("user_id", "id"),
        "name": first("name", "username"),
        "avatar_url": "profile_picture_url",
    },
)

#: Reddit: ``duration=permanent`` asks for a refresh token.
REDDIT: Final = ProviderSettings(
    api_base_url="https://oauth.reddit.com/",
    authorize_url="https://www.reddit.com/api/v1/authorize",
    token_url="https://www.reddit.com/api/v1/access_token",
    revoke_url="https://www.reddit.com/api/v1/revoke_token",
    userinfo_url="https://oauth.reddit.com/api/v1/me",
    scope=["identity"],
    pkce=None,
    authorize_params={"duration": "permanent"},
    profile={"id": "id", "name": "name", "avatar_url": first("icon_img", "snoovatar_img")},
)

#: Tumblr (OAuth 1.0a). Users have no numeric id: the account name stands in.
TUMBLR: Final = ProviderSettings(
    api_base_url="https://api.tumblr.com/v2/",
    version=1,
    request_token_url="https://www.tumblr.com/oauth/request_token",
    authorize_url="https://www.tumblr.com/oauth/authorize",
    access_token_url="https://www.tumblr.com/oauth/access_token",
    userinfo_url="https://api.tumblr.com/v2/user/info",
    profile={"id": "response.user.name", "name": "response.user.name"},
)

#: VK (the classic OAuth endpoints). The API reads the token and version from the query;
#: the e-mail comes only in the token answer.
VK: Final = ProviderSettings(
    api_base_url="https://api.vk.com/method/",
    authorize_url="https://oauth.vk.com/authorize",
    token_url="https://oauth.vk.com/access_token",
    userinfo_url="https://api.vk.com/method/users.get?fields=photo_200&v=5.199",
    userinfo_token="query",
    scope=["email"],
    scope_separator=",",
    token_endpoint_auth_method="client_secret_post",
    pkce=None,
    profile={
        "id": "response.0.id",
        "name": full_name("response.0.first_name", "response.0.last_name"),
        "avatar_url": "response.0.photo_200",
    },
)

#: Sina Weibo. The token answer names the user (``uid``), which the userinfo URL uses.
WEIBO: Final = ProviderSettings(
    api_base_url="https://api.weibo.com/2/",
    authorize_url="https://api.weibo.com/oauth2/authorize",
    token_url="https://api.weibo.com/oauth2/access_token",
    userinfo_url="https://api.weibo.com/2/users/show.json?uid={uid}",
    userinfo_token="query",
    scope=["email"],
    scope_separator=",",
    token_endpoint_auth_method="client_secret_post",
    pkce=None,
    compliance_fix=weibo_compliance_fix,
    profile={
        "id": first("idstr", "id"),
        "name": first("screen_name", "name"),
        "avatar_url": first("avatar_large", "profile_image_url"),
    },
)

KAKAO: Final = ProviderSettings(
    api_base_url="https://kapi.kakao.com/",
    authorize_url="https://kauth.kakao.com/oauth/authorize",
    token_url="https://kauth.kakao.com/oauth/token",
    userinfo_url="https://kapi.kakao.com/v2/user/me",
    scope=["profile_nickname", "profile_image", "account_email"],
    scope_separator=",",
    token_endpoint_auth_method="client_secret_post",
    pkce=None,
    profile={
        "id": "id",
        "email": "kakao_account.email",
        "email_verified": "kakao_account.is_email_verified",
        "name": "kakao_account.profile.nickname",
        "avatar_url": "kakao_account.profile.profile_image_url",
    },
)

#: Naver: scopes are chosen on the app, not in the request.
NAVER: Final = ProviderSettings(
    api_base_url="https://openapi.naver.com/",
    authorize_url="https://nid.naver.com/oauth2.0/authorize",
    token_url="https://nid.naver.com/oauth2.0/token",
    userinfo_url="https://openapi.naver.com/v1/nid/me",
    scope=None,
    token_endpoint_auth_method="client_secret_post",
    pkce=None,
    profile={
        "id": "response.id",
        "email": "response.email",
        "name": first("response.name", "response.nickname"),
        "avatar_url": "response.profile_image",
    },
)

#: LINE Login v2.1 (OpenID Connect). The e-mail is in the ID token, not in userinfo.
LINE: Final = ProviderSettings(
    api_base_url="https://api.line.me/",
    authorize_url="https://access.line.me/oauth2/v2.1/authorize",
    token_url="https://api.line.me/oauth2/v2.1/token",
    revoke_url="https://api.line.me/oauth2/v2.1/revoke",
    userinfo_url="https://api.line.me/oauth2/v2.1/userinfo",
    scope=["openid", "profile", "email"],
    token_endpoint_auth_method="client_secret_post",
)

PINTEREST: Final = ProviderSettings(
    api_base_url="https://api.pinterest.com/v5/",
    authorize_url="https://www.pinterest.com/oauth/",
    token_url="https://api.pinterest.com/v5/oauth/token",
    userinfo_url="https://api.pinterest.com/v5/user_account",
    scope=["user_accounts:read"],
    scope_separator=",",
    pkce=None,
    profile={
        "id": first("id", "username"),
        "name": first("business_name", "username"),
        "avatar_url": "profile_image",
    },
)

#: Flickr (OAuth 1.0a); ``flickr.test.login`` names the user.
FLICKR: Final = ProviderSettings(
    api_base_url="https://api.flickr.com/services/",
    version=1,
    request_token_url="https://www.flickr.com/services/oauth/request_token",
    authorize_url="https://www.flickr.com/services/oauth/authorize",
    access_token_url="https://www.flickr.com/services/oauth/access_token",
    userinfo_url=(
        "https://api.flickr.com/services/rest?method=flickr.test.login&format=json&nojsoncallback=1"
    ),
    profile={"id": "user.id", "name": "user.username._content"},
)

VIMEO: Final = ProviderSettings(
    api_base_url="https://api.vimeo.com/",
    authorize_url="https://api.vimeo.com/oauth/authorize",
    token_url="https://api.vimeo.com/oauth/access_token",
    userinfo_url="https://api.vimeo.com/me",
    scope=["public"],
    pkce=None,
    profile={
        "id": lambda d: str(d.get("uri", "")).rsplit("/", 1)[-1] or None,
        "name": "name",
        "avatar_url": "pictures.base_link",
    },
)

PRESETS: Final[dict[str, ProviderSettings]] = {
    "flickr": FLICKR,
    "instagram": INSTAGRAM,
    "kakao": KAKAO,
    "line": LINE,
    "naver": NAVER,
    "pinterest": PINTEREST,
    "reddit": REDDIT,
    "tumblr": TUMBLR,
    "vimeo": VIMEO,
    "vk": VK,
    "weibo": WEIBO,
}
