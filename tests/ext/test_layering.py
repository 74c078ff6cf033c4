"""The client never imports Quart; ``import quart_oauthlib`` alone does not either."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module",
    [
        "quart_oauthlib",
        "quart_oauthlib.client",
        "quart_oauthlib.client.oauth1_session",
        "quart_oauthlib.client.oauth2_session",
        "quart_oauthlib.client.compliance_fixes",
    ],
)
def test_client_does_not_import_quart(module: str) -> None:
    code = (
        f"import sys, {module};"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'quart', 'werkzeug'});"
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""


def test_extension_names_are_exported() -> None:
    import quart_oauthlib

    for name in ("QuartOAuth", "MemoryTokenStore", "oauth_authorized", "StateMismatchError"):
        assert name in quart_oauthlib.__all__
        assert getattr(quart_oauthlib, name) is not None
    with pytest.raises(AttributeError):
        quart_oauthlib.NoSuchThing  # noqa: B018
