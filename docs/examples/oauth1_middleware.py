"""The same OAuth 1 workflow with the OAuth1 middleware on an aiohttp session you own."""

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp

from quart_oauthlib import OAuth1

request_token_url = "https://api.twitter.com/oauth/request_token"
base_authorization_url = "https://api.twitter.com/oauth/authorize"
access_token_url = "https://api.twitter.com/oauth/access_token"
protected_url = "https://api.twitter.com/1.1/account/settings.json"


async def oauth1_with_middleware(
    http: aiohttp.ClientSession,
    client_key: str,
    client_secret: str,
    callback_uri: str,
    authorize: Callable[[str], Awaitable[str]],
) -> dict[str, Any]:
    # 1. The request token: the middleware signs just this request.
    oauth = OAuth1(client_key, client_secret=client_secret, callback_uri=callback_uri)
    async with http.post(request_token_url, middlewares=(oauth,)) as r:
        credentials = dict(parse_qsl(await r.text()))
    resource_owner_key = credentials["oauth_token"]
    resource_owner_secret = credentials["oauth_token_secret"]

    # 2. The user authorizes; the verifier comes back in the redirect's query.
    authorize_url = f"{base_authorization_url}?oauth_token={resource_owner_key}"
    redirect_response = await authorize(authorize_url)
    verifier = dict(parse_qsl(urlsplit(redirect_response).query))["oauth_verifier"]

    # 3. The access token.
    oauth = OAuth1(
        client_key,
        client_secret=client_secret,
        resource_owner_key=resource_owner_key,
        resource_owner_secret=resource_owner_secret,
        verifier=verifier,
    )
    async with http.post(access_token_url, middlewares=(oauth,)) as r:
        credentials = dict(parse_qsl(await r.text()))

    # 4. Protected resources.
    oauth = OAuth1(
        client_key,
        client_secret=client_secret,
        resource_owner_key=credentials["oauth_token"],
        resource_owner_secret=credentials["oauth_token_secret"],
    )
    async with http.get(protected_url, middlewares=(oauth,)) as r:
        r.raise_for_status()
        return await r.json()
