"""The pytest plugin, as an app's test suite loads it (its own pytest run, warnings as errors)."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = "quart_oauthlib.testing.pytest_plugin"


def test_the_entry_point_is_declared() -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    assert config["options.entry_points"]["pytest11"].split() == ["quart_oauthlib", "=", PLUGIN]
    extra = config["options.extras_require"]["testing"]
    assert "joserfc" in extra and "pytest-asyncio" in extra


def run_app_tests(directory: Path) -> subprocess.CompletedProcess[str]:
    """Run pytest on ``directory`` as an app would, with the plugin loaded once."""
    installed = any(ep.value == PLUGIN for ep in entry_points(group="pytest11"))
    args = [] if installed else ["-p", PLUGIN]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("OAUTHLIB_INSECURE_TRANSPORT", None)  # the fixture sets it
    return subprocess.run(  # noqa: S603 -- our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "pytest",
            str(directory),
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "-W",
            "error",
            "-o",
            "asyncio_mode=auto",
            "-o",
            "asyncio_default_fixture_loop_scope=function",
            "--rootdir",
            str(directory),
            *args,
        ],  # fmt: skip
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_an_apps_tests_get_the_fixture(tmp_path: Path) -> None:
    (tmp_path / "test_app.py").write_text(
        "from quart_oauthlib.testing import FakeProvider\n"
        "async def test_it(fake_provider):\n"
        "    assert isinstance(fake_provider, FakeProvider)\n"
        "    assert fake_provider.url('/token').startswith('http://127.0.0.1:')\n"
        "    assert fake_provider.settings_for('github')['client_id'] == 'github-client'\n"
    )
    result = run_app_tests(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
