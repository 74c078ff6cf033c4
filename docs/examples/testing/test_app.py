from app import create_app

from quart_oauthlib.testing import FakeProvider, login_as


async def test_home_needs_a_github_login(fake_provider: FakeProvider) -> None:
    app = create_app({"OAUTH_PROVIDERS": {"github": fake_provider.settings_for("github")}})
    async with app.test_app() as test_app:
        client = test_app.test_client()
        assert (await client.get("/")).status_code == 302  # signed out: to /login/github
        ada = {"id": 1, "login": "ada", "name": "Ada Lovelace"}
        await login_as(client, "github", userinfo=ada, fake_provider=fake_provider)
        page = await (await client.get("/")).get_data(as_text=True)
        assert page == "Signed in as Ada Lovelace; API answered 200 for /user/repos."
