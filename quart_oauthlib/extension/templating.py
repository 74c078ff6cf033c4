"""``{{ oauth_logout_button("github") }}``: the logout route is POST-only, so a link won't do.

Logout changes state, so it takes a POST (a GET link could be triggered by
any page, an image tag say); this global renders the small form that POSTs
to ``<name>.logout``, registered by ``init_app`` for every app.
"""

from __future__ import annotations

from markupsafe import Markup
from quart import url_for

from .state import get_state

__all__ = ["oauth_logout_button"]


def oauth_logout_button(
    provider: str, label: str = "Sign out", next: str | None = None, css_class: str = ""
) -> Markup:
    """A form with one button that signs the user out of ``provider``.

    Args:
        provider: The provider's name in ``OAUTH_PROVIDERS``.
        label: The button's text (escaped).
        next: Where to go afterwards (a path of this site); the provider's
            ``redirect_to`` (or ``OAUTH_REDIRECT_TO``) by default.
        css_class: Classes for the ``<form>``, besides ``oauth-logout``.

    Raises:
        UnknownProviderError: No such provider.
    """
    get_state().provider(provider)  # a clear error for a mistyped name
    action = url_for(f"{provider}.logout")
    classes = " ".join(filter(None, ("oauth-logout", css_class)))
    # Markup.format escapes every argument: the label, the next URL, the classes.
    hidden = Markup('<input type="hidden" name="next" value="{}">').format(next) if next else ""
    return Markup(
        '<form method="post" action="{}" class="{}">{}<button type="submit">{}</button></form>'
    ).format(action, classes, hidden, label)
