"""LinkedIn OAuth 2 tutorial."""

from quart_oauthlib import OAuth2Session

# Credentials you get from registering a new application
client_id = "<the id you get from linkedin>"
client_secret = "<the secret you get from linkedin>"

# LinkedIn wants scope and redirect_uri; they must match your LinkedIn app's
# auth settings (the "Auth" tab of the LinkedIn Developer page).
scope = ["openid", "profile", "email"]
redirect_uri = "https://127.0.0.1/callback"

# OAuth endpoints given in the LinkedIn API documentation
authorization_base_url = "https://www.linkedin.com/oauth/v2/authorization"
token_url = "https://www.linkedin.com/oauth/v2/accessToken"
profile_url = "https://api.linkedin.com/v2/userinfo"


async def main(authorize):
    """``authorize(url)`` shows ``url`` to the user, returns the redirect URL."""
    async with OAuth2Session(client_id, redirect_uri=redirect_uri, scope=scope) as linkedin:
        # Redirect user to LinkedIn for authorization
        authorization_url, state = linkedin.authorization_url(authorization_base_url)

        # Get the authorization verifier code from the callback url
        redirect_response = await authorize(authorization_url)

        # Fetch the access token; LinkedIn wants client_id in the body too
        await linkedin.fetch_token(
            token_url,
            client_secret=client_secret,
            include_client_id=True,
            authorization_response=redirect_response,
        )

        # Fetch a protected resource, i.e. user profile
        async with linkedin.get(profile_url) as r:
            return await r.json()
