"""Playing the user at a terminal: show the authorization URL, read back the redirect URL."""

import asyncio


async def ask_user(authorization_url: str) -> str:
    """Print the URL to open; return the full URL the browser was redirected to."""
    print("Please go here and authorize:", authorization_url)
    # input() blocks: run it in a thread so the event loop keeps running.
    return await asyncio.to_thread(input, "Paste the full redirect URL here: ")
