"""OpenID Connect sign-in: discovery, the code flow, the ID token, userinfo.

Needs the jose extra for ID token validation: pip install 'quart-oauthlib[jose]'.
"""

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from quart_oauthlib import OAuth2Session
from quart_oauthlib.client.oidc import (
    IDTokenValidator,
    ProviderDiscovery,
    check_authorization_response_issuer,
    fetch_userinfo,
)

# Once per provider: discovery is cached (and refetched when stale).
discovery = ProviderDiscovery("https://accounts.google.com/.well-known/openid-configuration")


async def sign_in(
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    authorize: Callable[[str], Awaitable[str]],
) -> dict[str, Any]:
    async with OAuth2Session(
        client_id,
        client_secret=client_secret,
        redirect_uri=redirect_uri,
        scope=["openid", "email", "profile"],
    ) as session:
        metadata = await discovery.load(session.http)

        # Keep state (the session does) and nonce until the callback.
        nonce = secrets.token_urlsafe(16)
        authorization_url, state = session.authorization_url(
            metadata.require("authorization_endpoint"), nonce=nonce
        )
        callback_url = await authorize(authorization_url)

        # RFC 9207: the response must come from the provider we sent the user to.
        check_authorization_response_issuer(metadata, callback_url)
        token = await session.fetch_token(
            metadata.require("token_endpoint"), authorization_response=callback_url
        )

        # Signature, issuer, audience, expiry, nonce and at_hash.
        validator = IDTokenValidator.for_provider(metadata, client_id=client_id)
        id_token = await validator.validate(
            session.http, token["id_token"], nonce=nonce, access_token=session.access_token
        )
        # The userinfo sub must be the ID token's.
        return await fetch_userinfo(
            session, metadata.require("userinfo_endpoint"), id_token=id_token
        )
