"""The quick start's configuration table matches the extension's settings and defaults."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from quart_oauthlib.extension import DEFAULTS
from quart_oauthlib.providers.settings import ProviderSettings

PAGE = Path(__file__).resolve().parents[2] / "docs" / "quickstart.rst"


def table() -> dict[str, str]:
    """``OAUTH_*`` key -> the default column, as written in the list-table."""
    text = PAGE.read_text(encoding="utf-8")
    rows = re.findall(r"^   \* - ``(OAUTH_\w+)``\n     - ``(.*?)``$", text, flags=re.MULTILINE)
    return dict(rows)


def test_every_setting_is_in_the_table_with_its_default() -> None:
    documented = table()
    assert set(documented) == set(DEFAULTS)
    for key, default in documented.items():
        assert ast.literal_eval(default) == DEFAULTS[key], key


def test_provider_keys_named_on_the_page_exist() -> None:
    text = PAGE.read_text(encoding="utf-8")
    section = text.split("The most used provider settings", 1)[1]
    named = set(re.findall(r"``([a-z_]+)``", section))
    assert named, "no provider keys found"
    assert named <= set(ProviderSettings.__annotations__), named - set(
        ProviderSettings.__annotations__
    )
