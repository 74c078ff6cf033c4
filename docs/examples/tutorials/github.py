"""GitHub OAuth 2 tutorial."""

from quart_oauthlib import OAuth2Session

# Credentials you get from registering a new application
client_id = "<the id you get from github>"
client_secret = "<the secret you get from github>"

# OAuth endpoints given in the GitHub API documentation
authorization_base_url = "https://github.com/login/oauth/authorize"
token_url = "https://github.com/login/oauth/access_token"
profile_url = "https://api.github.com/user"


async def main(authorize):
    """``authorize(url)`` shows ``url`` to the user, returns the redirect URL."""
    async with OAuth2Session(client_id) as github:
        # Redirect user to GitHub for authorization
        authorization_url, state = github.authorization_url(authorization_base_url)

        # Get the authorization verifier code from the callback url
        redirect_response = await authorize(authorization_url)

        # Fetch the access token
        await github.fetch_token(
            token_url, client_secret=client_secret, authorization_response=redirect_response
        )

        # Fetch a protected resource, i.e. user profile
        async with github.get(profile_url) as r:
            return await r.json()
