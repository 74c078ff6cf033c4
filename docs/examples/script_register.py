"""Register a client at a provider that allows it (RFC 7591), then log in with it."""

from quart_oauthlib import RegisteredClient, register_client

REGISTRATION_URL = "https://provider.example/register"


async def register() -> RegisteredClient:
    client = await register_client(
        REGISTRATION_URL,
        {
            "client_name": "My command-line tool",
            "redirect_uris": ["http://127.0.0.1/callback"],  # any port, RFC 8252 §7.3
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "none",  # a public client: no secret to keep
        },
    )
    print("Registered", client)  # the repr never shows a secret
    return client
