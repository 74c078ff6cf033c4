"""``docs/providers.rst`` is generated from the presets, and kept up to date."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from quart_oauthlib.providers import PRESETS

GENERATOR = Path(__file__).parents[2] / "docs" / "_gen_catalogue.py"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_gen_catalogue", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_catalogue_is_the_generated_one() -> None:
    gen = generator()
    assert gen.OUTPUT.read_text("utf-8") == gen.render(), (
        "docs/providers.rst is stale: run python docs/_gen_catalogue.py"
    )


def test_every_preset_has_a_row() -> None:
    text = generator().render()
    for name in PRESETS:
        assert f"   * - ``{name}``\n" in text
    assert "alias of ``twitter``" in text
