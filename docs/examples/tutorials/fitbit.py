"""Fitbit OAuth 2 tutorial (mobile application flow)."""

from oauthlib.oauth2 import MobileApplicationClient

from quart_oauthlib import OAuth2Session

# Your client ID and scope: the scope must match what you asked for when you
# registered your application.
client_id = "<your client ID here>"
scope = ["activity", "heartrate", "location", "nutrition", "profile", "settings", "sleep"]

authorization_base_url = "https://www.fitbit.com/oauth2/authorize"
sleep_goal_url = "https://api.fitbit.com/1/user/-/sleep/goal.json"


async def main(authorize):
    """``authorize(url)`` shows ``url`` to the user, returns the redirect URL."""
    client = MobileApplicationClient(client_id)
    async with OAuth2Session(client_id, client=client, scope=scope) as fitbit:
        # Grab the URL for Fitbit's authorization page.
        authorization_url, state = fitbit.authorization_url(authorization_base_url)

        # After authenticating, Fitbit redirects to the URL registered for your
        # application. The access token is in its fragment.
        callback_url = await authorize(authorization_url)
        token = fitbit.token_from_fragment(callback_url)  # store it for later use

        # Call the API as usual.
        async with fitbit.get(sleep_goal_url) as r:
            return token, await r.json()
