"""The client is framework-free: importing it must not import Quart."""

from __future__ import annotations

import subprocess
import sys


def test_client_does_not_import_quart() -> None:
    code = (
        "import sys, quart_oauthlib.client.oauth2_session, quart_oauthlib.client.oauth2_auth;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'quart', 'werkzeug'});"
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""
