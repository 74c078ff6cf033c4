"""Bitbucket OAuth 1 tutorial."""

from quart_oauthlib import OAuth1Session

# Credentials you get from adding a new consumer in Bitbucket's workspace
# settings, under "OAuth consumers".
key = "<the key you get from bitbucket>"
secret = "<the secret you get from bitbucket>"
callback_uri = "https://127.0.0.1/cb"

# OAuth endpoints given in the Bitbucket API documentation
request_token_url = "https://bitbucket.org/api/1.0/oauth/request_token"
authorization_base_url = "https://bitbucket.org/api/1.0/oauth/authenticate"
access_token_url = "https://bitbucket.org/api/1.0/oauth/access_token"
user_url = "https://api.bitbucket.org/1.0/user"


async def main(authorize):
    """``authorize(url)`` shows ``url`` to the user, returns the redirect URL."""
    async with OAuth1Session(key, client_secret=secret, callback_uri=callback_uri) as bitbucket:
        # Fetch a request token
        await bitbucket.fetch_request_token(request_token_url)

        # Redirect user to Bitbucket for authorization
        authorization_url = bitbucket.authorization_url(authorization_base_url)

        # Get the authorization verifier code from the callback url
        redirect_response = await authorize(authorization_url)
        bitbucket.parse_authorization_response(redirect_response)

        # Fetch the access token
        await bitbucket.fetch_access_token(access_token_url)

        # Fetch a protected resource, i.e. user profile
        async with bitbucket.get(user_url) as r:
            return await r.json()
