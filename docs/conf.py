"""Sphinx configuration. Build with ``python -m sphinx -W -b html docs docs/_build``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

project = "quart-oauthlib"
author = "quart-oauthlib contributors"
copyright = "quart-oauthlib contributors"
release = "0.1.0.dev0"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
]

# docs/examples/ holds the runnable snippets the pages include; they are not pages.
exclude_patterns = ["_build", "examples"]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_class_signature = "separated"
autodoc_default_options = {"show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False

html_theme = "furo" if importlib.util.find_spec("furo") else "alabaster"
html_title = "quart-oauthlib"
