"""Drive oidc-provider's interaction pages without a browser: follow redirects, fill forms.

A tiny "user agent" on aiohttp: it keeps the provider's cookies, follows
redirects by hand (so that it stops at our redirect URI instead of calling
it), and submits the login and logout forms of the provider's devInteractions
pages with the test user's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import aiohttp
from yarl import URL

MAX_STEPS = 20


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    """The page's forms; inputs and buttons outside any form join the last (form= attr)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").upper()))
        elif tag in ("input", "button") and self.forms and a.get("name"):
            if (
                tag == "input"
                and a.get("type") in ("submit",)
                and a["name"] in self.forms[-1].fields
            ):
                return
            self.forms[-1].fields.setdefault(a["name"], a.get("value", ""))


def forms_of(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


class UserAgent:
    """A logged-in-or-not browser stand-in for one test user."""

    def __init__(self, login: str = "alice"):
        self.login = login
        # unsafe=True: keep cookies of an IP-address host (127.0.0.1).
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def close(self) -> None:
        await self.http.close()

    async def authorize(self, url: str, redirect_uri: str) -> str:
        """Walk from the authorization URL to the redirect back; return the callback URL."""
        method, data = "GET", None
        for _ in range(MAX_STEPS):
            async with self.http.request(method, url, data=data, allow_redirects=False) as resp:
                body = await resp.text()
                location = resp.headers.get("Location")
                status = resp.status
            if status in (302, 303, 307) and location:
                url, method, data = urljoin(url, location), "GET", None
                if url.startswith(redirect_uri):
                    return url
                continue
            if status != 200:
                raise AssertionError(f"The provider answered {status}: {body[:500]}")
            form = self._pick_form(body)
            url, method, data = urljoin(url, form.action), form.method, form.fields
        raise AssertionError("Too many steps between the authorization URL and the callback.")

    async def logout(self, end_session_url: str) -> int:
        """Open the end-session URL and confirm the logout; return the last status."""
        url, method, data = end_session_url, "GET", None
        for _ in range(MAX_STEPS):
            async with self.http.request(method, url, data=data, allow_redirects=False) as resp:
                body = await resp.text()
                location = resp.headers.get("Location")
                status = resp.status
            if status in (302, 303) and location:
                target = urljoin(url, location)
                if URL(target).origin() != URL(end_session_url).origin():
                    return status  # back to the client's post_logout_redirect_uri
                url, method, data = target, "GET", None
                continue
            forms = forms_of(body)
            if status != 200 or not forms:
                return status
            form = forms[0]
            form.fields["logout"] = "yes"
            url, method, data = urljoin(url, form.action), form.method, form.fields
        raise AssertionError("Too many steps to log out.")

    async def verify_device(self, verification_uri: str, user_code: str, *, approve: bool) -> str:
        """Enter ``user_code`` on the device verification page, log in, approve or abort.

        Returns the text of the page the provider ends on (its success page, or
        the code input page again after an abort).
        """
        url, method, data = verification_uri, "GET", None
        for _ in range(MAX_STEPS):
            async with self.http.request(method, url, data=data, allow_redirects=False) as resp:
                body = await resp.text()
                location = resp.headers.get("Location")
                status = resp.status
            if status in (302, 303) and location:
                url, method, data = urljoin(url, location), "GET", None
                continue
            if status != 200:
                raise AssertionError(f"The provider answered {status}: {body[:500]}")
            forms = forms_of(body)
            if not forms:
                return body  # the end: nothing left to fill in
            form = forms[0]
            if "abort" in form.fields:  # the confirmation page: Continue, or [ Abort ]
                if approve:
                    del form.fields["abort"]
                else:
                    async with self.http.post(urljoin(url, form.action), data=form.fields) as end:
                        return await end.text()
            elif "user_code" in form.fields:  # the code input page
                if form.fields["user_code"] or "incorrect" in body:
                    raise AssertionError(f"The provider did not take the user code: {body[:500]}")
                form.fields["user_code"] = user_code
            elif "login" in form.fields:
                form.fields["login"] = self.login
                form.fields["password"] = "any"
            url, method, data = urljoin(url, form.action), form.method, form.fields
        raise AssertionError("Too many steps on the device verification pages.")

    def _pick_form(self, html: str) -> Form:
        forms = forms_of(html)
        if not forms:
            raise AssertionError(f"No form on the provider's page: {html[:500]}")
        form = forms[0]
        if "login" in form.fields:
            form.fields["login"] = self.login
            form.fields["password"] = "any"
        return form
