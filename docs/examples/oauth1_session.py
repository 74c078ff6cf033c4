"""The OAuth 1 workflow with OAuth1Session (HMAC-SHA1, signature in the header)."""

from collections.abc import Awaitable, Callable
from typing import Any

from quart_oauthlib import OAuth1Session

request_token_url = "https://api.twitter.com/oauth/request_token"
base_authorization_url = "https://api.twitter.com/oauth/authorize"
access_token_url = "https://api.twitter.com/oauth/access_token"
protected_url = "https://api.twitter.com/1.1/account/settings.json"


async def oauth1_workflow(
    client_key: str,
    client_secret: str,
    callback_uri: str,
    authorize: Callable[[str], Awaitable[str]],
) -> dict[str, Any]:
    async with OAuth1Session(
        client_key, client_secret=client_secret, callback_uri=callback_uri
    ) as oauth:
        # 1. A request token identifies this client in the next step.
        await oauth.fetch_request_token(request_token_url)

        # 2. The user authorizes; the provider redirects back with a verifier.
        authorization_url = oauth.authorization_url(base_authorization_url)
        redirect_response = await authorize(authorization_url)
        oauth.parse_authorization_response(redirect_response)  # keeps the verifier

        # 3. The access token: save it, it can be used again later.
        oauth_tokens = await oauth.fetch_access_token(access_token_url)

    # 4. Access protected resources, now or in another process.
    async with OAuth1Session(
        client_key,
        client_secret=client_secret,
        resource_owner_key=oauth_tokens["oauth_token"],
        resource_owner_secret=oauth_tokens["oauth_token_secret"],
    ) as oauth:
        async with oauth.get(protected_url) as response:
            response.raise_for_status()
            return await response.json()
