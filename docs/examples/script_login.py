"""Sign in from a script and call an API: the browser opens, the provider sends it back."""

import asyncio

from quart_oauthlib import OAuth2Session

AUTHORIZE_URL = "https://provider.example/authorize"
TOKEN_URL = "https://provider.example/token"
API_URL = "https://provider.example/userinfo"


async def main() -> None:
    async with OAuth2Session("my-client-id", scope=["openid", "profile"]) as session:
        await session.login_with_browser(AUTHORIZE_URL, TOKEN_URL)
        async with session.get(API_URL) as response:
            print(await response.json())


if __name__ == "__main__":
    asyncio.run(main())
