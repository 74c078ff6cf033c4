"""Back-channel logout: check the provider's logout_token before logging anyone out."""

import time

import aiohttp

from quart_oauthlib.client.oidc import JWKSCache
from quart_oauthlib.client.oidc.logout_token import LogoutToken, validate_logout_token

issuer = "https://id.example"
client_id = "my-app"
jwks = JWKSCache("https://id.example/jwks")

# Each logout token's jti is accepted once. In production: Redis SET NX EX, a unique SQL key...
_seen_jtis: dict[str, float] = {}


def first_use(jti: str, until: float) -> bool:
    now = time.time()
    for old in [j for j, t in _seen_jtis.items() if t < now]:
        del _seen_jtis[old]
    if jti in _seen_jtis:
        return False
    _seen_jtis[jti] = until
    return True


async def on_backchannel_logout(http: aiohttp.ClientSession, logout_token: str) -> LogoutToken:
    """Validate the POSTed logout_token; on LogoutTokenError answer 400 and log nobody out."""
    token = await validate_logout_token(
        http, logout_token, issuer=issuer, client_id=client_id, jwks=jwks, is_new_jti=first_use
    )
    # Now end the sessions of token.sub (or of the provider session token.sid).
    return token
