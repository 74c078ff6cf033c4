"""A token store of your own, the signed-in user's id, and a signal receiver."""

import copy
from collections.abc import Mapping
from typing import Any

from quart import Quart, session

from quart_oauthlib import BaseTokenStore, QuartOAuth, oauth_authorized


class DictTokenStore(BaseTokenStore):
    """Tokens by (provider, user id). A real one awaits its database driver here."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], dict[str, Any]] = {}

    async def get(self, provider: str, user_id: str) -> dict[str, Any] | None:
        row = self.rows.get((provider, user_id))
        return copy.deepcopy(row) if row is not None else None

    async def set(self, provider: str, user_id: str, token: Mapping[str, Any]) -> None:
        self.rows[(provider, user_id)] = copy.deepcopy(dict(token))

    async def delete(self, provider: str, user_id: str) -> None:
        self.rows.pop((provider, user_id), None)


store = DictTokenStore()
oauth = QuartOAuth(store=store)


@oauth.user_id_loader
async def current_user_id() -> str | None:
    # Your own sign-in (Quart-Auth, say); None stores tokens per browser session.
    return session.get("user_id")


async def remember_user(app: Quart, *, provider: str, token: dict[str, Any], **extra: Any) -> None:
    # Just before the token is stored: a good place to sign the user in. OpenID
    # providers also pass id_token_claims and userinfo, hence **extra.
    session.setdefault("user_id", f"user-from-{provider}")


def create_app(config: Mapping[str, Any]) -> Quart:
    app = Quart(__name__)
    app.config.update(config)
    oauth.init_app(app)
    oauth_authorized.connect(remember_user, sender=app)  # this app's logins only
    return app
