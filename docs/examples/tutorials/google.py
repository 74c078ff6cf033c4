"""Google OAuth 2 tutorial."""

from quart_oauthlib import OAuth2Session

# Credentials you get from registering a new application
client_id = "<the id you get from google>.apps.googleusercontent.com"
client_secret = "<the secret you get from google>"
redirect_uri = "https://your.registered/callback"

# OAuth endpoints given in the Google API documentation
authorization_base_url = "https://accounts.google.com/o/oauth2/v2/auth"
token_url = "https://oauth2.googleapis.com/token"
profile_url = "https://www.googleapis.com/oauth2/v1/userinfo"
scope = [
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/userinfo.profile",
]


async def main(authorize):
    """``authorize(url)`` shows ``url`` to the user, returns the redirect URL."""
    async with OAuth2Session(client_id, scope=scope, redirect_uri=redirect_uri) as google:
        # Redirect user to Google for authorization
        authorization_url, state = google.authorization_url(
            authorization_base_url,
            access_type="offline",  # offline for a refresh token
            prompt="select_account",  # always let the user pick an account
        )

        # Get the authorization verifier code from the callback url
        redirect_response = await authorize(authorization_url)

        # Fetch the access token (Google may grant more scope than asked: that is fine)
        await google.fetch_token(
            token_url, client_secret=client_secret, authorization_response=redirect_response
        )

        # Fetch a protected resource, i.e. user profile
        async with google.get(profile_url) as r:
            return await r.json()
