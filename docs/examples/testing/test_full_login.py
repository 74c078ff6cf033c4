from app import create_app

from quart_oauthlib.testing import FakeProvider


async def test_the_whole_login(fake_provider: FakeProvider) -> None:
    app = create_app({"OAUTH_PROVIDERS": {"github": fake_provider.settings_for("github")}})
    fake_provider.user = {"sub": "7", "id": 7, "login": "grace", "name": "Grace Hopper"}
    async with app.test_app() as test_app:
        client = test_app.test_client()
        done = await fake_provider.login(client, "github", next="/")  # approved at once
        assert done.headers["Location"] == "/"
        assert "Grace Hopper" in await (await client.get("/")).get_data(as_text=True)
        fake_provider.deny_logins = "access_denied"  # the next user says no
        assert (await fake_provider.login(test_app.test_client(), "github")).status_code == 403
