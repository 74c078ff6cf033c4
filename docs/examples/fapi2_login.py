"""A FAPI 2.0 login: PAR, PKCE, DPoP, private_key_jwt, checked ID tokens, RFC 9207."""

from typing import Any

from quart_oauthlib import OAuth2Session
from quart_oauthlib.client.fapi2 import check_fapi2_settings
from quart_oauthlib.client.oidc import (
    IDTokenValidator,
    ProviderDiscovery,
    check_authorization_response_issuer,
)
from quart_oauthlib.client.oidc.refresh import validate_refreshed_id_token

discovery_url = "https://bank.example/.well-known/openid-configuration"


async def fapi2_login(settings: dict[str, Any], browser: Any) -> dict[str, Any]:
    # Catch a setting that contradicts FAPI 2.0 before any user sees a login page.
    check_fapi2_settings(settings, name="bank")
    async with OAuth2Session(
        settings["client_id"],
        redirect_uri=settings["redirect_uri"],
        scope="openid",
        pkce=settings["pkce"],
        dpop=settings["dpop"],
        token_endpoint_auth_method=settings["token_endpoint_auth_method"],
        client_jwk=settings["client_jwk"],
    ) as oauth:
        metadata = await ProviderDiscovery(discovery_url).load(oauth.http)
        oauth.issuer = metadata.issuer  # the aud of client assertions

        nonce = oauth.new_state()
        url, _state = await oauth.push_authorization_request(
            metadata.require("pushed_authorization_request_endpoint"),
            metadata.authorization_endpoint,
            nonce=nonce,
        )  # url carries client_id and request_uri only
        callback = await browser(url)
        check_authorization_response_issuer(metadata, callback)  # RFC 9207
        token = await oauth.fetch_token(metadata.token_endpoint, authorization_response=callback)

        validator = IDTokenValidator.for_provider(
            metadata, client_id=settings["client_id"], algorithms=settings["id_token_signing_algs"]
        )
        id_token = await validator.validate(oauth.http, token["id_token"], nonce=nonce)

        # A refresh may bring a new ID token: it must be the same login (OIDC Core §12.2).
        token = await oauth.refresh_token(metadata.token_endpoint)
        if "id_token" in token:
            await validate_refreshed_id_token(
                validator, oauth.http, token["id_token"], original=id_token
            )
        return {"token": token, "sub": id_token.sub}
