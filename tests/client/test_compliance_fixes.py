"""Compliance fixes: each provider's quirky answer, served over TLS, fixed and unfixed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from oauthlib.oauth2 import BackendApplicationClient, InvalidGrantError
from oauthlib.oauth2.rfc6749.errors import CustomOAuth2Error
from yarl import URL

from quart_oauthlib import OAuth2Session, TokenResponse, TokenResponseError
from quart_oauthlib.client.compliance_fixes._common import media_type
from quart_oauthlib.compliance_fixes import (
    douban_compliance_fix,
    ebay_compliance_fix,
    facebook_compliance_fix,
    fitbit_compliance_fix,
    instagram_compliance_fix,
    linkedin_compliance_fix,
    mailchimp_compliance_fix,
    plentymarkets_compliance_fix,
    slack_compliance_fix,
    weibo_compliance_fix,
)
from tests.fake_provider.serving import TLS, serve

Fix = Callable[[OAuth2Session], OAuth2Session]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ALL_FIXES: list[Fix] = [
    douban_compliance_fix,
    ebay_compliance_fix,
    facebook_compliance_fix,
    fitbit_compliance_fix,
    instagram_compliance_fix,
    linkedin_compliance_fix,
    mailchimp_compliance_fix,
    plentymarkets_compliance_fix,
    slack_compliance_fix,
    weibo_compliance_fix,
]
CALLBACK = "https://client.example/callback"
_NO_CONTENT_TYPE = "X-Test-No-Content-Type"


def answer(
    body: str | dict[str, Any], *, status: int = 200, content_type: str | None = "application/json"
) -> Handler:
    """A token endpoint that always gives this answer (no Content-Type when None)."""
    text = body if isinstance(body, str) else json.dumps(body)

    async def handler(request: web.Request) -> web.Response:
        await request.post()
        response = web.Response(text=text, status=status, content_type=content_type)
        if content_type is None:
            response.headers[_NO_CONTENT_TYPE] = "1"
        return response

    return handler


async def _strip_content_type(request: web.Request, response: web.StreamResponse) -> None:
    # aiohttp always sets a Content-Type; some providers send none.
    if response.headers.popall(_NO_CONTENT_TYPE, None):
        response.headers.popall("Content-Type", None)


@asynccontextmanager
async def provider(tls: TLS, routes: dict[str, Handler]) -> AsyncIterator[URL]:
    app = web.Application()
    app.on_response_prepare.append(_strip_content_type)
    for path, handler in routes.items():
        app.router.add_route("*", path, handler)
    async with serve(app, tls) as base:
        yield base


def session(tls: TLS, fix: Fix | None = None, **kwargs: Any) -> OAuth2Session:
    oauth = OAuth2Session(
        "client-id",
        redirect_uri=CALLBACK,
        client_secret="client-secret",
        connector=aiohttp.TCPConnector(ssl=tls.client_context),
        **kwargs,
    )
    if fix is not None:
        assert fix(oauth) is oauth
    return oauth


@pytest.mark.parametrize("fix", ALL_FIXES, ids=lambda f: f.__name__)
async def test_every_fix_lets_an_html_error_page_through(tls: TLS, fix: Fix) -> None:
    """The originals crashed with JSONDecodeError; the session must name status and type."""
    page = answer("<html>Bad gateway</html>", status=502, content_type="text/html")
    async with provider(tls, {"/token": page}) as base, session(tls, fix) as oauth:
        with pytest.raises(TokenResponseError, match="502") as raised:
            await oauth.fetch_token(str(base / "token"), code="c")
    assert raised.value.content_type == "text/html"


def test_content_type_is_read_case_insensitively_from_plain_dicts() -> None:
    response = TokenResponse(200, {"content-type": "Application/JSON; charset=utf-8"}, "u", "")
    assert media_type(response) == "application/json"


# -- facebook ----------------------------------------------------------------

FACEBOOK_FORM = "access_token=fb-token&expires=5183999"


@pytest.mark.parametrize("content_type", ["text/plain", None])
async def test_facebook_form_answer_becomes_a_token_with_a_lifetime(
    tls: TLS, content_type: str | None
) -> None:
    token_endpoint = answer(FACEBOOK_FORM, content_type=content_type)
    async with provider(tls, {"/token": token_endpoint}) as base:
        async with session(tls, facebook_compliance_fix) as oauth:
            token = await oauth.fetch_token(str(base / "token"), code="c")
        assert token["access_token"] == "fb-token"
        assert token["token_type"] == "Bearer"
        assert token["expires_in"] == 5183999
        assert "expires_at" in token
        async with session(tls) as unfixed:
            token = await unfixed.fetch_token(str(base / "token"), code="c")
        assert "expires_at" not in token  # the lifetime is lost without the fix


async def test_facebook_json_answer_is_left_alone(tls: TLS) -> None:
    body = {"access_token": "fb", "token_type": "bearer", "expires_in": 60, "expires": 1}
    async with provider(tls, {"/token": answer(body)}) as base:
        async with session(tls, facebook_compliance_fix) as oauth:
            token = await oauth.fetch_token(str(base / "token"), code="c")
    assert (token["token_type"], token["expires_in"], token["expires"]) == ("bearer", 60, 1)


# -- fitbit ------------------------------------------------------------------

FITBIT_ERROR = {
    "errors": [
        {
            "errorType": "invalid_grant",
            "message": "Refresh token invalid: 8f1c2d3e4b5a69788f1c2d3e4b5a6978. Visit "
            "https://dev.fitbit.com/docs/oauth2 for more information.",
        }
    ],
    "success": False,
}


async def test_fitbit_errors_list_becomes_an_oauth_error(tls: TLS) -> None:
    routes = {"/token": answer(FITBIT_ERROR, status=400)}
    async with provider(tls, routes) as base:
        async with session(tls, fitbit_compliance_fix, token={"refresh_token": "r"}) as oauth:
            with pytest.raises(InvalidGrantError) as raised:
                await oauth.refresh_token(str(base / "token"))
            with pytest.raises(InvalidGrantError):
                await oauth.fetch_token(str(base / "token"), code="c")
        assert "8f1c2d3e4b5a6978" not in str(raised.value)  # the token is redacted
        assert "Refresh token invalid" in str(raised.value.description)
        async with session(tls) as unfixed:
            with pytest.raises(TokenResponseError):
                await unfixed.fetch_token(str(base / "token"), code="c")


async def test_fitbit_empty_errors_list_does_not_crash_the_fix(tls: TLS) -> None:
    routes = {"/token": answer({"errors": [], "success": False}, status=401)}
    async with provider(tls, routes) as base, session(tls, fitbit_compliance_fix) as oauth:
        with pytest.raises(TokenResponseError, match="401"):
            await oauth.fetch_token(str(base / "token"), code="c")


# -- instagram ---------------------------------------------------------------


async def _instagram_me(request: web.Request) -> web.Response:
    tokens = request.query.getall("access_token", [])
    if tokens != ["ig-token"] and tokens != ["other"]:
        return web.json_response({"error": {"type": "OAuthException"}}, status=400)
    return web.json_response({"id": "1", "token": tokens[0]})


async def test_instagram_token_goes_in_the_query(tls: TLS) -> None:
    token = {"access_token": "ig-token", "token_type": "Bearer"}
    async with provider(tls, {"/me": _instagram_me}) as base:
        async with session(tls, token=token) as unfixed:
            async with unfixed.get(base / "me") as resp:
                assert resp.status == 400
        async with session(tls, instagram_compliance_fix, token=token) as oauth:
            async with oauth.get(base / "me") as resp:
                assert resp.status == 200
            async with oauth.get(base.with_path("/me").with_query(access_token="other")) as resp:
                assert (await resp.json())["token"] == "other"  # kept, not duplicated


# -- linkedin (legacy v1 API) -----------------------------------------------

LINKEDIN = {"access_token": "li-token", "expires_in": 5183999}  # no token_type
LINKEDIN_PROFILE = "v1/people/~"


async def _linkedin_v1_people(request: web.Request) -> web.Response:
    """Like LinkedIn's v1 API: the token only as ``oauth2_access_token``."""
    if "Authorization" in request.headers:
        message = "Unable to verify access token"
        return web.json_response({"errorCode": 0, "message": message, "status": 401}, status=401)
    if "access_token" in request.query:  # requests-oauthlib issue #377
        message = "Unpermitted fields present in PARAMETER: [/access_token]"
        return web.json_response({"message": message, "status": 403}, status=403)
    tokens = request.query.getall("oauth2_access_token", [])
    if tokens not in (["li-token"], ["other"]):
        return web.json_response({"errorCode": 0, "status": 401}, status=401)
    return web.json_response({"query": list(request.query.items())})


async def test_linkedin_token_gets_a_type_and_goes_in_the_query(tls: TLS) -> None:
    routes = {
        "/oauth/v2/accessToken": answer(LINKEDIN),
        f"/{LINKEDIN_PROFILE}": _linkedin_v1_people,
    }
    async with provider(tls, routes) as base:
        profile = (base / LINKEDIN_PROFILE).with_query(format="json")
        async with session(tls, linkedin_compliance_fix) as oauth:
            token = await oauth.fetch_token(str(base / "oauth/v2/accessToken"), code="c")
            assert token["token_type"] == "Bearer"
            async with oauth.get(profile) as resp:
                assert resp.status == 200
                query = (await resp.json())["query"]
        assert query == [["format", "json"], ["oauth2_access_token", "li-token"]]
        async with session(tls) as unfixed:
            token = await unfixed.fetch_token(str(base / "oauth/v2/accessToken"), code="c")
            assert "token_type" not in token
            async with unfixed.get(profile) as resp:
                assert resp.status == 401  # sent as Authorization: Bearer


async def test_linkedin_refreshed_token_gets_a_type(tls: TLS) -> None:
    old = {"access_token": "old", "token_type": "Bearer", "refresh_token": "r"}
    async with provider(tls, {"/oauth/v2/accessToken": answer(LINKEDIN)}) as base:
        async with session(tls, linkedin_compliance_fix, token=old) as oauth:
            token = await oauth.refresh_token(str(base / "oauth/v2/accessToken"))
    assert (token["access_token"], token["token_type"]) == ("li-token", "Bearer")


async def test_linkedin_query_token_is_not_duplicated(tls: TLS) -> None:
    token = {"access_token": "li-token", "token_type": "Bearer"}
    async with provider(tls, {f"/{LINKEDIN_PROFILE}": _linkedin_v1_people}) as base:
        # A token set before the fix, and the fix applied twice.
        async with session(tls, token=token) as oauth:
            linkedin_compliance_fix(linkedin_compliance_fix(oauth))
            async with oauth.get(base / LINKEDIN_PROFILE) as resp:
                assert (await resp.json())["query"] == [["oauth2_access_token", "li-token"]]
            other = (base / LINKEDIN_PROFILE).with_query(oauth2_access_token="other")
            async with oauth.get(other) as resp:  # the caller's token is kept
                assert (await resp.json())["query"] == [["oauth2_access_token", "other"]]


async def test_linkedin_fix_keeps_oauthlibs_token_checks(tls: TLS) -> None:
    """The client places no token itself, but still refuses one it does not understand."""
    token = {"access_token": "li-token", "token_type": "unknown"}
    async with provider(tls, {f"/{LINKEDIN_PROFILE}": _linkedin_v1_people}) as base:
        async with session(tls, linkedin_compliance_fix, token=token) as oauth:
            with pytest.raises(ValueError, match="Unsupported token type"):
                await oauth.get(base / LINKEDIN_PROFILE)


# -- mailchimp ---------------------------------------------------------------

MAILCHIMP = {"access_token": "mc", "token_type": "bearer", "expires_in": 0, "scope": None}


async def test_mailchimp_null_scope_and_zero_expiry_are_dropped(tls: TLS) -> None:
    async with provider(tls, {"/token": answer(MAILCHIMP)}) as base:
        async with session(tls, mailchimp_compliance_fix) as oauth:
            token = await oauth.fetch_token(str(base / "token"), code="c")
        # Mailchimp tokens never expire: no expiry, rather than the original's 3600.
        assert token == {"access_token": "mc", "token_type": "bearer"}
        async with session(tls) as unfixed:
            token = await unfixed.fetch_token(str(base / "token"), code="c")
        assert token["scope"] is None  # not a scope (RFC 6749 §3.3)


# -- slack -------------------------------------------------------------------

SLACK_BOT = {
    "ok": True,
    "access_token": "xoxb-1",
    "token_type": "bot",
    "scope": "commands,chat:write",
    "bot_user_id": "U0B",
    "team": {"id": "T1"},
    "authed_user": {"id": "U1", "scope": "search:read", "access_token": "xoxp-1"},
}
SLACK_USER_ONLY = {
    "ok": True,
    "team": {"id": "T1"},
    "authed_user": {
        "id": "U1",
        "scope": "search:read",
        "access_token": "xoxp-1",
        "token_type": "user",
    },
}


async def test_slack_bot_token_type_is_a_bearer_token(tls: TLS) -> None:
    async with provider(tls, {"/oauth.v2.access": answer(SLACK_BOT)}) as base:
        async with session(tls, slack_compliance_fix) as oauth:
            token = await oauth.fetch_token(str(base / "oauth.v2.access"), code="c")
        assert (token["access_token"], token["token_type"]) == ("xoxb-1", "Bearer")
        assert token["scope"] == ["commands", "chat:write"]
        async with session(tls) as unfixed:
            with pytest.raises(TokenResponseError, match="token_type 'bot'"):
                await unfixed.fetch_token(str(base / "oauth.v2.access"), code="c")


async def test_slack_user_token_is_lifted_from_authed_user(tls: TLS) -> None:
    async with provider(tls, {"/oauth.v2.access": answer(SLACK_USER_ONLY)}) as base:
        async with session(tls, slack_compliance_fix) as oauth:
            token = await oauth.fetch_token(str(base / "oauth.v2.access"), code="c")
        assert (token["access_token"], token["token_type"]) == ("xoxp-1", "Bearer")
        assert token["scope"] == ["search:read"]
        async with session(tls) as unfixed:
            with pytest.raises(TokenResponseError, match="no access_token"):
                await unfixed.fetch_token(str(base / "oauth.v2.access"), code="c")


async def test_slack_ok_false_is_an_oauth_error(tls: TLS) -> None:
    routes = {"/oauth.v2.access": answer({"ok": False, "error": "invalid_code"})}
    async with provider(tls, routes) as base, session(tls, slack_compliance_fix) as oauth:
        with pytest.raises(CustomOAuth2Error) as raised:
            await oauth.fetch_token(str(base / "oauth.v2.access"), code="c")
    assert raised.value.error == "invalid_code"


async def _slack_legacy_method(request: web.Request) -> web.Response:
    form = await request.post()
    if form.get("token") != "xoxp-1":
        return web.json_response({"ok": False, "error": "not_authed"})
    return web.json_response({"ok": True, "channel": form.get("channel")})


async def test_slack_token_is_sent_as_a_form_parameter(tls: TLS) -> None:
    token = {"access_token": "xoxp-1", "token_type": "Bearer"}
    form = {"channel": "C1"}
    async with provider(tls, {"/chat.postMessage": _slack_legacy_method}) as base:
        async with session(tls, token=token) as unfixed:
            async with unfixed.post(base / "chat.postMessage", data=form) as resp:
                assert (await resp.json())["ok"] is False
        async with session(tls, slack_compliance_fix, token=token) as oauth:
            async with oauth.post(base / "chat.postMessage", data=form) as resp:
                assert await resp.json() == {"ok": True, "channel": "C1"}
    assert form == {"channel": "C1"}  # the caller's dict is not modified


# -- weibo -------------------------------------------------------------------

WEIBO = {"access_token": "2.00wb", "remind_in": "157679999", "expires_in": 157679999, "uid": "1"}


async def _weibo_show(request: web.Request) -> web.Response:
    if request.query.get("access_token") != "2.00wb":
        return web.json_response({"error": "auth by Null spi!", "error_code": 21301}, status=403)
    return web.json_response({"id": 1})


async def test_weibo_token_gets_a_type_and_goes_in_the_query(tls: TLS) -> None:
    routes = {"/token": answer(WEIBO), "/2/users/show.json": _weibo_show}
    async with provider(tls, routes) as base:
        async with session(tls, weibo_compliance_fix) as oauth:
            token = await oauth.fetch_token(str(base / "token"), code="c")
            assert token["token_type"] == "Bearer"
            async with oauth.get(base / "2/users/show.json") as resp:
                assert resp.status == 200
        async with session(tls, token=token) as unfixed:
            async with unfixed.get(base / "2/users/show.json") as resp:
                assert resp.status == 403
        # A token set before the fix is applied follows the query placement too.
        async with session(tls, token=token) as late:
            weibo_compliance_fix(late)
            async with late.get(base / "2/users/show.json") as resp:
                assert resp.status == 200


# -- douban ------------------------------------------------------------------

DOUBAN = {"access_token": "db", "expires_in": 3920, "refresh_token": "r", "douban_user_id": "1"}


async def test_douban_token_gets_a_type_on_fetch_and_refresh(tls: TLS) -> None:
    async with provider(tls, {"/token": answer(DOUBAN)}) as base:
        async with session(tls, douban_compliance_fix) as oauth:
            token = await oauth.fetch_token(str(base / "token"), code="c")
            assert token["token_type"] == "Bearer"
            refreshed = await oauth.refresh_token(str(base / "token"))
            assert refreshed["token_type"] == "Bearer"
        async with session(tls) as unfixed:
            token = await unfixed.fetch_token(str(base / "token"), code="c")
        assert "token_type" not in token


# -- plentymarkets -----------------------------------------------------------

PLENTY = {"tokenType": "Bearer", "expiresIn": 86400, "accessToken": "pm", "refreshToken": "r"}


async def test_plentymarkets_camel_case_keys_on_fetch_and_refresh(tls: TLS) -> None:
    routes = {"/rest/login": answer(PLENTY), "/rest/login/refresh": answer(PLENTY)}
    async with provider(tls, routes) as base:
        async with session(tls, plentymarkets_compliance_fix) as oauth:
            token = await oauth.fetch_token(str(base / "rest/login"), code="c")
            assert (token["access_token"], token["refresh_token"]) == ("pm", "r")
            assert token["expires_in"] == 86400 and "expires_at" in token
            refreshed = await oauth.refresh_token(str(base / "rest/login/refresh"))
            assert refreshed["access_token"] == "pm"
        async with session(tls) as unfixed:
            with pytest.raises(TokenResponseError, match="no access_token"):
                await unfixed.fetch_token(str(base / "rest/login"), code="c")


# -- ebay --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("grant", "token_type"),
    [("code", "User Access Token"), ("client_credentials", "Application Access Token")],
)
async def test_ebay_token_types_are_bearer(tls: TLS, grant: str, token_type: str) -> None:
    body = {"access_token": "v^1.1#eb", "expires_in": 7200, "token_type": token_type}
    kwargs: dict[str, Any] = {"code": "c"} if grant == "code" else {}
    client = BackendApplicationClient("client-id") if grant != "code" else None
    async with provider(tls, {"/identity/v1/oauth2/token": answer(body)}) as base:
        url = str(base / "identity/v1/oauth2/token")
        async with session(tls, ebay_compliance_fix, client=client) as oauth:
            token = await oauth.fetch_token(url, **kwargs)
        assert token["token_type"] == "Bearer"
        async with session(tls, client=client) as unfixed:
            with pytest.raises(TokenResponseError, match="unsupported token_type"):
                await unfixed.fetch_token(url, **kwargs)


async def test_ebay_refreshed_token_type_is_bearer(tls: TLS) -> None:
    body = {"access_token": "eb2", "expires_in": 7200, "token_type": "User Access Token"}
    old = {"access_token": "eb", "token_type": "Bearer", "refresh_token": "r"}
    async with provider(tls, {"/token": answer(body)}) as base:
        async with session(tls, ebay_compliance_fix, token=old) as oauth:
            token = await oauth.refresh_token(str(base / "token"))
    assert (token["token_type"], token["refresh_token"]) == ("Bearer", "r")
