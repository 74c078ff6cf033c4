"""Which API call the "API" page makes for each provider, through ``oauth[name]``.

To show off another provider's API, add an entry to :func:`api_demos` (and
make sure the provider's ``scope`` allows the call).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .settings import ExampleSettings

__all__ = ["ApiDemo", "api_demos"]


@dataclass(frozen=True)
class ApiDemo:
    """One API call to make with the user's token.

    Attributes:
        title: The page's heading.
        url: What to ``GET``.
        explanation: One sentence about the call, shown above the answer.
        shows: How to show the answer: a fortune cookie, or the JSON as is.
    """

    title: str
    url: str
    explanation: str
    shows: Literal["fortune", "json"] = "json"


def api_demos(settings: ExampleSettings) -> dict[str, ApiDemo]:
    """The demo call of each provider that has one."""
    demos = {
        "github": ApiDemo(
            "Your most recently updated repositories",
            "https://api.github.com/user/repos?sort=updated&per_page=5",
            "GET /user/repos on GitHub's REST API, with your access token.",
        ),
    }
    if settings.dev_provider_url is not None:
        demos["dev"] = ApiDemo(
            "Your fortune cookie",
            f"{settings.dev_provider_url}/api/fortune",
            "The dev provider's API bakes a fresh one on every call; it needs the 'fortune' scope.",
            shows="fortune",
        )
    return demos
