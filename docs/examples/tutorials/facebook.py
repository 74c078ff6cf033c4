"""Facebook OAuth 2 tutorial."""

from quart_oauthlib import OAuth2Session
from quart_oauthlib.compliance_fixes import facebook_compliance_fix

# Credentials you get from registering a new application
client_id = "<the id you get from facebook>"
client_secret = "<the secret you get from facebook>"
redirect_uri = "https://localhost/"  # Should match Site URL

# OAuth endpoints given in the Facebook API documentation
authorization_base_url = "https://www.facebook.com/dialog/oauth"
token_url = "https://graph.facebook.com/oauth/access_token"
profile_url = "https://graph.facebook.com/me"


async def main(authorize):
    """``authorize(url)`` shows ``url`` to the user, returns the redirect URL."""
    async with OAuth2Session(client_id, redirect_uri=redirect_uri) as facebook:
        facebook_compliance_fix(facebook)

        # Redirect user to Facebook for authorization
        authorization_url, state = facebook.authorization_url(authorization_base_url)

        # Get the authorization verifier code from the callback url
        redirect_response = await authorize(authorization_url)

        # Fetch the access token
        await facebook.fetch_token(
            token_url, client_secret=client_secret, authorization_response=redirect_response
        )

        # Fetch a protected resource, i.e. user profile
        async with facebook.get(profile_url) as r:
            return await r.json()
