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
# "mixed": the constructor's signature is on the class line. ("separated" added an
# ``__init__`` or ``__new__`` entry for every class, which filled the search results.)
autodoc_class_signature = "mixed"
autodoc_default_options = {
    "show-inheritance": True,
    "exclude-members": "__init__, __new__, __weakref__, __dict__, __module__",
}
# Signatures longer than this get one parameter per line, rather than one long line.
maximum_signature_line_length = 88
napoleon_google_docstring = True
napoleon_numpy_docstring = False

html_theme = "furo" if importlib.util.find_spec("furo") else "alabaster"
html_title = "quart-oauthlib"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
