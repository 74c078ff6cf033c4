"""Unknown provider names, the logout button, the refresh-token advice, the refused-login page."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from quart import Quart, render_template_string

from quart_oauthlib import ConfigurationError, QuartOAuth, UnknownProviderError
from quart_oauthlib.testing import FakeProvider
from quart_oauthlib.testing.pytest_plugin import fake_provider

__all__ = ["fake_provider"]


def app_for(fake: FakeProvider, *names: str, **config: Any) -> tuple[Quart, QuartOAuth]:
    app = Quart(__name__)
    app.config.update(
        SECRET_KEY="k", OAUTH_PROVIDERS={name: fake.settings_for(name) for name in names}, **config
    )
    return app, QuartOAuth(app)


async def test_unknown_provider_names_the_configured_and_the_nearest(
    fake_provider: FakeProvider,
) -> None:
    app, oauth = app_for(fake_provider, "github", "google")
    async with app.test_app(), app.test_request_context("/"):
        with pytest.raises(UnknownProviderError) as caught:
            _ = oauth.githb
        error = caught.value
        assert isinstance(error, AttributeError) and isinstance(error, ConfigurationError)
        assert error.suggestion == "github" and error.configured == ["github", "google"]
        assert "configured: github, google" in str(error) and "Did you mean 'github'" in str(error)
        with pytest.raises(UnknownProviderError, match="Did you mean 'google'"):
            _ = oauth["gogle"]
        with pytest.raises(UnknownProviderError, match=r"configured: github, google\)\.$"):
            _ = oauth.twitter
        assert not hasattr(oauth, "githb")  # getattr with a default still works
        assert getattr(oauth, "nope", None) is None


async def test_logout_button_renders_an_escaped_post_form(fake_provider: FakeProvider) -> None:
    app, _ = app_for(fake_provider, "github")

    @app.route("/page")
    async def page() -> str:
        return await render_template_string(
            "{{ oauth_logout_button('github', label='<b>Bye</b>', next='/after?a=1&b=\"2\"') }}"
        )

    async with app.test_app() as test_app:
        client = test_app.test_client()
        await fake_provider.login(client, "github")
        html = await (await client.get("/page")).get_data(as_text=True)
        assert html == (
            '<form method="post" action="/logout/github" class="oauth-logout">'
            '<input type="hidden" name="next" value="/after?a=1&amp;b=&#34;2&#34;">'
            '<button type="submit">&lt;b&gt;Bye&lt;/b&gt;</button></form>'
        )
        # the form works: POSTing what it holds signs the user out
        out = await client.post("/logout/github", form={"next": '/after?a=1&b="2"'})
        assert out.status_code == 303 and out.headers["Location"].startswith("/after")
        async with app.test_request_context("/"):
            plain = await render_template_string("{{ oauth_logout_button('github') }}")
        assert plain == (
            '<form method="post" action="/logout/github" class="oauth-logout">'
            '<button type="submit">Sign out</button></form>'
        )
        async with app.test_request_context("/"):
            with pytest.raises(UnknownProviderError):
                await render_template_string("{{ oauth_logout_button('githb') }}")


async def test_openid_login_without_refresh_token_advises_once(
    fake_provider: FakeProvider, caplog: pytest.LogCaptureFixture
) -> None:
    fake_provider.issue_refresh_tokens = False
    app, _ = app_for(fake_provider, "google")
    caplog.set_level(logging.WARNING, "quart_oauthlib")
    async with app.test_app() as test_app:
        for _ in range(2):
            client = test_app.test_client()
            assert (await fake_provider.login(client, "google")).status_code == 302
    advice = [r for r in caplog.records if "no refresh token" in r.getMessage()]
    assert len(advice) == 1
    text = advice[0].getMessage()
    assert "offline_access" in text and "prompt" in text and "consent" in text
    for grant in fake_provider.records.access_tokens:
        assert grant not in caplog.text


async def test_no_advice_when_a_refresh_token_came(
    fake_provider: FakeProvider, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = app_for(fake_provider, "google", "github")
    fake_provider.issue_refresh_tokens = False
    async with app.test_app() as test_app:
        await fake_provider.login(test_app.test_client(), "github")  # not OpenID: no advice
        fake_provider.issue_refresh_tokens = True
        await fake_provider.login(test_app.test_client(), "google")
    assert "no refresh token" not in caplog.text


@pytest.mark.parametrize(
    ("error", "shown"),
    [("access_denied", "access_denied"), ("<script>x</script>", "&lt;script&gt;x&lt;/script&gt;")],
)
async def test_refused_login_page_shows_the_error_code(
    fake_provider: FakeProvider, error: str, shown: str
) -> None:
    fake_provider.deny_logins = error
    app, _ = app_for(fake_provider, "github")
    async with app.test_app() as test_app:
        client = test_app.test_client()
        page = await fake_provider.login(client, "github")
        html = await page.get_data(as_text=True)
    assert page.status_code == (403 if error == "access_denied" else 400)
    assert f"Error code: <code>{shown}</code>" in html
    assert "<script>" not in html
    assert "&amp;" not in html  # the page's text is escaped once, not twice
    if error == "access_denied":
        assert "The sign-in with &#39;github&#39; was cancelled or refused" in html


async def test_an_error_handler_tells_access_denied_apart(fake_provider: FakeProvider) -> None:
    from quart_oauthlib import AuthorizationDeniedError

    fake_provider.deny_logins = "access_denied"
    app, _ = app_for(fake_provider, "github")

    @app.errorhandler(AuthorizationDeniedError)
    async def denied(error: AuthorizationDeniedError) -> Any:
        if error.error == "access_denied":
            return "You cancelled the sign-in.", 200
        return f"Sign-in failed: {error.error}", 400

    async with app.test_app() as test_app:
        page = await fake_provider.login(test_app.test_client(), "github")
        assert page.status_code == 200
        assert re.search("cancelled", await page.get_data(as_text=True))
