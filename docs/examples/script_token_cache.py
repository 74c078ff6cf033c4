"""Log in once, then reuse (and refresh) the token on every run, from a token cache file."""

import asyncio
from typing import Any

from quart_oauthlib import OAuth2Session, TokenCache

DEVICE_URL = "https://provider.example/device"
TOKEN_URL = "https://provider.example/token"
API_URL = "https://provider.example/userinfo"
CACHE_FILE = "~/.config/my-tool/tokens.json"


async def main() -> Any:
    cache = TokenCache(CACHE_FILE)
    async with OAuth2Session("my-client-id", scope=["openid"]) as session:
        # The cached token if it is fresh; else refreshed; else a device-flow login
        # (a code to type in on a phone). Later refreshes are saved to the cache too.
        await cache.get_or_login(session, token_url=TOKEN_URL, device_authorization_url=DEVICE_URL)
        async with session.get(API_URL) as response:
            return await response.json()


if __name__ == "__main__":
    print(asyncio.run(main()))
