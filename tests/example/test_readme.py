"""README's "Try it": what a newcomer needs, in the order they need it, and true."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.rst").read_text(encoding="utf-8")
RUN_EXAMPLE = "python -m pip install -e '.[example]' && python -m example_app"
RUN_TESTS = "python -m pip install -e '.[dev]' && python -m pytest"  # .ci/run greps this
MAKE_VENV = "python3 -m venv .venv && . .venv/bin/activate"


def try_it() -> str:
    match = re.search(r"^Try it\n-+\n(.*?)^\S[^\n]*\n-+\n", README, re.MULTILINE | re.DOTALL)
    assert match, "README has no 'Try it' section"
    return match.group(1)


def test_python_version_is_the_one_setup_cfg_requires() -> None:
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    required = setup["options"]["python_requires"]
    assert required == ">=3.11"
    assert "You need Python 3.11 or newer" in try_it()


def test_virtual_environment_comes_before_the_first_install() -> None:
    section = try_it()
    assert f"    {MAKE_VENV}\n" in section
    assert section.index(MAKE_VENV) < section.index("pip install")


def test_the_two_commands_are_verbatim() -> None:
    assert f"    {RUN_EXAMPLE}\n" in try_it()
    assert f"    {RUN_TESTS}\n" in try_it()
    assert RUN_TESTS in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_says_how_to_get_chromium_for_the_browser_test() -> None:
    section = " ".join(try_it().split())
    assert "apt-get install chromium" in section
    assert "tests/example/test_browser.py" in section
    browser_test = (ROOT / "tests" / "example" / "test_browser.py").read_text(encoding="utf-8")
    assert 'os.environ.get("CHROMIUM", "/usr/bin/chromium")' in browser_test
    assert "``CHROMIUM`` environment variable" in section


def test_says_the_dev_login_is_modern_and_how_to_switch_it_off() -> None:
    section = try_it()
    assert "pushed (PAR) with DPoP-bound tokens" in section
    assert "``EXAMPLE_DEV_MODERN=0 python -m example_app``" in section
    assert section.index(RUN_EXAMPLE) < section.index("EXAMPLE_DEV_MODERN=0")
