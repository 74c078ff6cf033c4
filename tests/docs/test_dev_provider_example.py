"""The "Try it with the example app" example: PAR and DPoP against the dev provider."""

from __future__ import annotations

import pytest

from tests.docs.conftest import load_example
from tests.example.test_dev_provider_dpop_par import approve


async def test_dev_provider_dpop_par(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    example = load_example("dev_provider_dpop_par.py")
    result = await example.demo(approve, port=0)
    assert result["token"]["token_type"] == "DPoP"
    assert result["fortune"]
    status, challenge = result["refused"]
    assert status == 401 and challenge.startswith('DPoP error="invalid_token"')
    shown = capsys.readouterr().out
    assert "urn:ietf:params:oauth:request_uri:" in shown and "token_type: DPoP" in shown
