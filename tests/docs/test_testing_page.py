"""docs/testing.rst: its example tests run as an app's own suite would run them."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.docs.conftest import EXAMPLES
from tests.testing.test_plugin import run_app_tests

DOCS = EXAMPLES.parent
#: The page's examples, run below as an app's own test suite.
FILES = ("testing/app.py", "testing/test_app.py", "testing/test_full_login.py")


def test_the_page_is_in_the_toctree_and_includes_the_examples() -> None:
    assert "   testing\n" in (DOCS / "index.rst").read_text()
    page = (DOCS / "testing.rst").read_text()
    for name in FILES:
        assert f".. literalinclude:: examples/{name}" in page


def test_the_protected_view_test_is_under_15_lines() -> None:
    lines = (EXAMPLES / "testing" / "test_app.py").read_text().strip().splitlines()
    assert len(lines) < 15


def test_the_examples_pass(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    for name in FILES:
        shutil.copy(EXAMPLES / name, tmp_path / "app")
    result = run_app_tests(tmp_path / "app")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
