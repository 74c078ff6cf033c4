"""The docs build without a warning, and every code example in them is a tested file.

The build needs the ``docs`` extra (Sphinx); without it the build test is skipped,
unless ``REQUIRE_DOCS`` is set (CI sets it), so that CI cannot skip it by accident.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
EXAMPLES = DOCS / "examples"
TESTS = Path(__file__).resolve().parent

#: Languages of ``code-block`` directives that are not Python to run: commands and settings.
NOT_CODE = frozenset({"shell", "console", "bash", "sh", "ini", "cfg", "toml", "text", "none"})

_DIRECTIVE = re.compile(r"^\s*\.\.\s+([\w:-]+)::\s*(.*?)\s*$")
_CODE_DIRECTIVES = frozenset({"code-block", "code", "sourcecode", "highlight"})


def pages() -> list[Path]:
    found = [p for p in DOCS.rglob("*.rst") if "_build" not in p.parts]
    assert found, "no .rst pages found"
    return sorted(found)


def example_files() -> list[str]:
    return sorted(str(p.relative_to(EXAMPLES)) for p in EXAMPLES.rglob("*.py"))


def included_examples() -> dict[str, list[str]]:
    """Each literalinclude target (relative to docs/examples/) and the pages including it."""
    targets: dict[str, list[str]] = {}
    for page in pages():
        for line in page.read_text(encoding="utf-8").splitlines():
            match = _DIRECTIVE.match(line)
            if match and match[1] == "literalinclude":
                target = (page.parent / match[2]).resolve()
                relative = (
                    str(target.relative_to(EXAMPLES)) if target.is_relative_to(EXAMPLES) else ""
                )
                targets.setdefault(relative or match[2], []).append(page.name)
    return targets


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.name)
def test_page_code_is_included_from_examples_or_is_not_python(page: Path) -> None:
    problems = []
    lines = page.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        match = _DIRECTIVE.match(line)
        if match and match[1] in _CODE_DIRECTIVES and match[2].lower() not in NOT_CODE:
            problems.append(f"{page.name}:{number}: code-block {match[2]!r}: include a tested file")
        if match and match[1] in {"doctest", "testcode", "ipython"}:
            problems.append(f"{page.name}:{number}: {match[1]}: include a tested file")
        if line.lstrip().startswith(">>>"):
            problems.append(f"{page.name}:{number}: interactive example: include a tested file")
        if line.rstrip().endswith("::") and not match:
            problems.append(f"{page.name}:{number}: literal block (::): use a tested file")
    assert not problems, "\n".join(problems)


def test_every_included_file_is_an_example_run_by_a_test() -> None:
    tests_source = "\n".join(p.read_text(encoding="utf-8") for p in TESTS.glob("test_*.py"))
    examples = set(example_files())
    for target, where in included_examples().items():
        assert target in examples, f"{where} include {target}, which is not under docs/examples/"
        assert f'"{target}"' in tests_source, f"no test under tests/docs/ loads {target!r}"


def test_every_example_is_shown_in_the_docs() -> None:
    shown = set(included_examples())
    assert set(example_files()) <= shown, set(example_files()) - shown


#: The API reference: one page per area, under docs/api/.
API_PAGES = (
    "oauth2-client",
    "oauth1-client",
    "oidc-client",
    "compliance-fixes",
    "extension",
    "profile",
    "storage",
    "signals",
    "errors",
)


@pytest.fixture(scope="module")
def html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The docs built once for this module's tests, with warnings as errors."""
    if importlib.util.find_spec("sphinx") is None:
        if os.environ.get("REQUIRE_DOCS"):
            pytest.fail(
                "REQUIRE_DOCS is set but Sphinx is not installed (pip install -e '.[docs]')"
            )
        pytest.skip("Sphinx is not installed (pip install -e '.[docs]'); CI sets REQUIRE_DOCS=1")
    out = tmp_path_factory.mktemp("docs")
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"]
    command += ["-d", str(out / "doctrees"), str(DOCS), str(out / "html")]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)  # noqa: S603 -- our interpreter
    assert result.returncode == 0, result.stdout + result.stderr
    return out / "html"


def test_docs_build_without_warnings(html: Path) -> None:
    assert (html / "index.html").exists()
    assert (html / "api" / "index.html").exists()


def test_api_reference_is_a_page_per_area(html: Path) -> None:
    assert not (html / "api.html").exists(), "the one long API page is back"
    index = (html / "api" / "index.html").read_text(encoding="utf-8")
    for page in API_PAGES:
        assert (html / "api" / f"{page}.html").exists(), page
        assert f'href="{page}.html"' in index, f"api/index does not link {page}"
    # Each area documents its own objects, and only there.
    assert 'id="quart_oauthlib.OAuth2Session"' in (html / "api" / "oauth2-client.html").read_text()
    assert 'id="quart_oauthlib.QuartOAuth"' in (html / "api" / "extension.html").read_text()
    assert 'id="quart_oauthlib.CallbackError"' in (html / "api" / "errors.html").read_text()
    documented: dict[str, str] = {}
    for page in (html / "api").glob("*.html"):
        for anchor in re.findall(r'<dt class="sig[^"]*" id="([^"]+)"', page.read_text()):
            assert anchor not in documented, f"{anchor} on {page.name} and {documented[anchor]}"
            documented[anchor] = page.name
    assert len(documented) > 200  # the whole API, not a few objects


def _search_index(html: Path) -> dict[str, Any]:
    text = (html / "searchindex.js").read_text(encoding="utf-8")
    payload = text[text.index("(") + 1 : text.rindex(")")]
    index: dict[str, Any] = json.loads(payload)
    return index


def test_search_has_no_constructor_noise(html: Path) -> None:
    objects = _search_index(html)["objects"]
    names = [f"{prefix}.{entry[4]}" for prefix, entries in objects.items() for entry in entries]
    assert any(name == "quart_oauthlib.OAuth2Session" for name in names)
    noise = [n for n in names if n.rsplit(".", 1)[-1] in {"__init__", "__new__"}]
    assert not noise, noise
    for page in (html / "api").glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r'id="[^"]*\.__(init|new)__"', text), page.name


def test_long_lines_in_code_blocks_wrap(html: Path) -> None:
    css = (html / "_static" / "custom.css").read_text(encoding="utf-8")
    rule = re.search(r"(?m)^pre\s*\{([^}]*)\}", css)
    assert rule, "no rule for pre in custom.css"
    assert "white-space: pre-wrap" in rule.group(1)
    for page in ("index.html", "storage.html", "api/oauth2-client.html"):
        text = (html / page).read_text(encoding="utf-8")
        assert re.search(r'<link rel="stylesheet"[^>]*href="[./]*_static/custom\.css', text), page
