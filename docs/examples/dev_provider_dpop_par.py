"""PAR and DPoP, seen end to end against the example app's dev provider, on this machine.

Run from a checkout: ``PYTHONPATH=. python docs/examples/dev_provider_dpop_par.py``.
"""

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from example_app.dev_provider import DevClient, DevProviderSettings, create_dev_provider
from example_app.serving import listen_on_loopback, serve_together
from quart_oauthlib import OAuth2Session

# Nothing listens there: after "Allow", copy the URL from the browser's address bar.
REDIRECT_URI = "http://127.0.0.1:8000/callback"
CLIENT = DevClient("dpop-demo", "demo-secret", (REDIRECT_URI,), name="DPoP and PAR demo")

Browser = Callable[[str], Awaitable[str]]


async def ask_user(url: str) -> str:
    print("Open this, sign in under any name and Allow:", url)
    return await asyncio.to_thread(input, "Paste the URL the browser was sent to: ")


async def demo(browser: Browser = ask_user, port: int = 5001) -> dict[str, Any]:
    sock = listen_on_loopback(port)
    issuer = f"http://127.0.0.1:{sock.getsockname()[1]}"
    # dpop_nonce=True: the provider demands a server nonce in every proof.
    settings = DevProviderSettings(issuer=issuer, clients=(CLIENT,), dpop_nonce=True)
    provider = create_dev_provider(settings)
    shutdown, ready = asyncio.Event(), asyncio.Event()
    serving = asyncio.create_task(
        serve_together([("dev-provider", provider, sock)], shutdown, ready.set)
    )
    await ready.wait()
    try:
        return await sign_in(issuer, browser)
    finally:
        shutdown.set()
        await serving


async def sign_in(issuer: str, browser: Browser) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{issuer}/.well-known/openid-configuration") as resp:
            metadata = await resp.json()
    print("PAR endpoint:", metadata["pushed_authorization_request_endpoint"])
    print("DPoP algorithms:", metadata["dpop_signing_alg_values_supported"])
    async with OAuth2Session(
        CLIENT.client_id,
        client_secret=CLIENT.client_secret,
        redirect_uri=REDIRECT_URI,
        scope="openid profile fortune",
        pkce="S256",
        dpop=True,
    ) as oauth:
        # The parameters (with PKCE and dpop_jkt) go over the back channel; the
        # browser gets only client_id and request_uri.
        url, _state = await oauth.push_authorization_request(
            metadata["pushed_authorization_request_endpoint"],
            metadata["authorization_endpoint"],
        )
        if (pushed := oauth.pushed_authorization) is not None:
            print("Pushed:", pushed.request_uri, "for", pushed.expires_in, "seconds")
        callback = await browser(url)
        # The first proof has no nonce: 400 use_dpop_nonce, and one retry with it.
        token = await oauth.fetch_token(metadata["token_endpoint"], authorization_response=callback)
        print("token_type:", token["token_type"])  # DPoP
        async with oauth.get(f"{issuer}/api/fortune") as resp:  # DPoP + a proof with ath
            fortune = await resp.json()
        print("Fortune:", fortune)
    # The same token without its key's proof is refused.
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(metadata["userinfo_endpoint"], headers=headers) as resp:
            refused = resp.status, resp.headers["WWW-Authenticate"]
    print("As a bearer token:", *refused)
    return {"token": token, "fortune": fortune, "refused": refused}


if __name__ == "__main__":
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the dev provider speaks http
    asyncio.run(demo())
