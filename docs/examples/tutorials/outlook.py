"""Outlook calendar OAuth 2 tutorial (Microsoft identity platform)."""

from quart_oauthlib import OAuth2Session

# This information is obtained upon registration of a new application
client_id = "<the id you get from microsoft>"
client_secret = "<the secret you get from microsoft>"
redirect_uri = "https://localhost/"  # Should match the registered redirect URI

# OAuth endpoints given in the Microsoft identity platform documentation
authorization_base_url = "https://login.microsoftonline.com/common/oauth2/v2.0/authorize"
token_url = "https://login.microsoftonline.com/common/oauth2/v2.0/token"
scope = ["https://graph.microsoft.com/Calendars.ReadWrite"]
calendars_url = "https://graph.microsoft.com/v1.0/me/calendars"


async def main(authorize):
    """``authorize(url)`` shows ``url`` to the user, returns the redirect URL."""
    async with OAuth2Session(client_id, scope=scope, redirect_uri=redirect_uri) as outlook:
        # Redirect the user to Microsoft with a few key OAuth parameters
        authorization_url, state = outlook.authorization_url(authorization_base_url)

        # Get the authorization verifier code from the callback url
        redirect_response = await authorize(authorization_url)

        # Fetch the access token
        await outlook.fetch_token(
            token_url, client_secret=client_secret, authorization_response=redirect_response
        )

        # Fetch a protected resource, i.e. calendar information
        async with outlook.get(calendars_url) as r:
            return await r.json()
