"""Provider presets, as data: one small declarative entry per provider.

The catalogue is split by kind (:mod:`.presets` holds the first, most used
ones; :mod:`.identity`, :mod:`.developer`, :mod:`.social`, :mod:`.business`,
:mod:`.media` and :mod:`.apple` the rest). :data:`PRESETS` joins them.

Adding a preset (a checklist, after flask-dance's ``contrib/README``):

1. A ``ProviderSettings`` constant in the module of its kind, with the
   authorize and token URLs (or OAuth 1's three), ``userinfo_url``, the
   default ``scope`` (and ``scope_separator`` when not a space),
   ``token_endpoint_auth_method``, ``revoke_url`` when the provider speaks
   RFC 7009, ``pkce=None`` when it rejects PKCE, a compliance fix when its
   answers are not RFC 6749 (in ``client/compliance_fixes/``), and a
   ``profile`` mapping when its userinfo answer is not OpenID Connect's
   claims. Per-tenant hosts are ``{domain}``, ``{shop}``, ``{realm}``,
   ``{region}`` or ``{tenant}`` placeholders, filled from the settings.
2. An entry in that module's ``PRESETS``.
3. A sample userinfo answer, written from the provider's API documentation,
   and the profile it maps to, in ``tests/providers/data/<name>.json``
   (``tests/providers/test_catalogue.py`` resolves and maps every preset).
4. ``python docs/_gen_catalogue.py`` to regenerate ``docs/providers.rst``,
   and a line in the changelog.
"""

from __future__ import annotations

from typing import Final

from . import business, developer, identity, media, social
from .apple import APPLE
from .presets import PRESETS as _FIRST
from .settings import ProviderSettings

__all__ = ["PRESETS"]

#: Every preset by name; ``x`` is an alias of ``twitter``.
PRESETS: Final[dict[str, ProviderSettings]] = dict(
    sorted(
        {
            **_FIRST,
            **identity.PRESETS,
            **developer.PRESETS,
            **social.PRESETS,
            **business.PRESETS,
            **media.PRESETS,
            "apple": APPLE,
        }.items()
    )
)
