"""Provider presets, as data.

Adding a preset (a checklist, after flask-dance's ``contrib/README``):

1. A ``ProviderSettings`` constant in :mod:`.presets` with the authorize and
   token URLs (or OAuth 1's three), ``userinfo_url``, the default ``scope``,
   ``token_endpoint_auth_method``, ``revoke_url`` when the provider speaks
   RFC 7009, ``pkce=None`` when it rejects PKCE, and a compliance fix when
   its answers are not RFC 6749 (in ``client/compliance_fixes/``).
2. An entry in :data:`PRESETS`.
3. A test in ``tests/providers/test_presets.py`` (it resolves every preset).
4. A line in the docs' provider table and the changelog.
"""

from .presets import PRESETS

__all__ = ["PRESETS"]
