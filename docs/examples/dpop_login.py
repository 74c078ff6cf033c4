"""A DPoP-bound login (RFC 9449): the tokens only work with this client's key."""

from typing import Any

from quart_oauthlib import OAuth2Session
from quart_oauthlib.client.dpop import DPoPKey

authorization_url = "https://id.example/auth"
token_url = "https://id.example/token"
userinfo_url = "https://id.example/me"

# One key for the app. With several workers, load the same private JWK in each
# (DPoPKey(jwk_dict)): a DPoP-bound refresh token refreshes only with its key.
dpop_key = DPoPKey()


def new_session(client_id: str, redirect_uri: str, **state: Any) -> OAuth2Session:
    return OAuth2Session(
        client_id,
        redirect_uri=redirect_uri,
        scope="openid email",
        pkce="S256",
        dpop=dpop_key,  # or dpop=True for a key of its own
        token_endpoint_auth_method="none",  # a public client; any method works
        **state,
    )


async def login(client_id: str, redirect_uri: str, browser: Any) -> dict[str, Any]:
    async with new_session(client_id, redirect_uri) as oauth:
        url, state = oauth.authorization_url(authorization_url)  # carries dpop_jkt
        callback = await browser(url)  # the user signs in; we get the redirect back
        # A proof goes with the code; a nonce the server asks for is answered once.
        # token_type is DPoP: anything else raises DPoPError.
        token = await oauth.fetch_token(token_url, authorization_response=callback)
        async with oauth.get(userinfo_url) as resp:  # Authorization: DPoP + a fresh proof
            user = await resp.json()
        token = await oauth.refresh_token(token_url)  # the same key
        return {"token": token, "user": user}
