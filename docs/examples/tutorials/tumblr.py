"""Tumblr OAuth 1 tutorial."""

from quart_oauthlib import OAuth1Session

# Credentials from the application page
key = "<the app key>"
secret = "<the app secret>"
callback_uri = "https://www.tumblr.com/dashboard"

# OAuth URLs given on the application page
request_token_url = "https://www.tumblr.com/oauth/request_token"
authorization_base_url = "https://www.tumblr.com/oauth/authorize"
access_token_url = "https://www.tumblr.com/oauth/access_token"
dashboard_url = "https://api.tumblr.com/v2/user/dashboard"


async def main(authorize):
    """``authorize(url)`` shows ``url`` to the user, returns the redirect URL."""
    async with OAuth1Session(key, client_secret=secret, callback_uri=callback_uri) as tumblr:
        # Fetch a request token
        await tumblr.fetch_request_token(request_token_url)

        # Link user to authorization page, get the verifier from the redirect
        authorization_url = tumblr.authorization_url(authorization_base_url)
        redirect_response = await authorize(authorization_url)
        tumblr.parse_authorization_response(redirect_response)

        # Fetch the access token
        await tumblr.fetch_access_token(access_token_url)

        # Fetch a protected resource
        async with tumblr.get(dashboard_url) as r:
            return await r.json()
