"""``python -m quart_oauthlib``, run as a real process against a provider on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from quart_oauthlib.cli import default_cache_path
from tests.fake_provider.native import DEVICE_GRANT, NativeProvider, running_native_provider
from tests.fake_provider.serving import TLS

ROOT = Path(__file__).resolve().parents[2]
#: Seconds any one command may take (the device flow polls once, after 1 s).
COMMAND_TIMEOUT = 30


@dataclass
class Result:
    status: int
    out: str
    err: str


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[NativeProvider]:
    async with running_native_provider(tls) as p:
        yield p


@pytest.fixture
def env(tls: TLS, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SSL_CERT_FILE": tls.ca_pem_path,  # trust the test CA, as a user's own CA would be
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "BROWSER": "true",  # never a real browser
    }


async def run(env: dict[str, str], *args: str) -> Result:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "quart_oauthlib",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(COMMAND_TIMEOUT):
            out, err = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return Result(process.returncode, out.decode(), err.decode())


def assert_one_line_error(result: Result, status: int = 1) -> None:
    assert result.status == status, result
    assert "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1, result.err


async def test_help_documents_every_option(env: dict[str, str]) -> None:
    top = await run(env, "--help")
    assert top.status == 0 and "login" in top.out and "token" in top.out
    login = await run(env, "login", "--help")
    for option in (
        "--client-id",
        "--client-secret",
        "--device",
        "--device-authorization-url",
        "--scope",
        "--cache",
        "--setting",
        "--port",
        "--timeout",
        "--no-browser",
        "PROVIDER",
    ):
        assert option in login.out, option
    token = await run(env, "token", "--help")
    assert token.status == 0 and "--client-id" in token.out and "--cache" in token.out


async def test_the_command_line_does_not_import_quart() -> None:
    code = (
        "import runpy, sys\n"
        "sys.argv = ['quart_oauthlib', '--help']\n"
        "try:\n    runpy.run_module('quart_oauthlib', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('quart', 'werkzeug')))\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(process.communicate(), COMMAND_TIMEOUT)
    assert out.decode().strip().splitlines()[-1] == "[]"


async def test_device_login_then_token_then_refresh(
    provider: NativeProvider, env: dict[str, str], tmp_path: Path
) -> None:
    common = ["--client-id", provider.client_id]
    login = await run(env, "login", provider.issuer, *common, "--device")
    assert login.status == 0, login.err
    assert login.out == "Signed in as Ada Lovelace (user-1).\n"
    assert "WDJB-MJHT" in login.err and provider.url("/activate") in login.err
    assert len(provider.grants(DEVICE_GRANT)) == 1
    cache_file = tmp_path / "config" / "quart-oauthlib" / "tokens.json"
    assert stat.S_IMODE(cache_file.stat().st_mode) == 0o600

    requests_before = len(provider.forms)
    token = await run(env, "token", provider.issuer, *common)
    assert token.status == 0, token.err
    access_token = token.out.strip()
    assert token.out == access_token + "\n" and access_token in provider.access_tokens
    assert len(provider.forms) == requests_before  # a fresh cached token: no request at all

    # Expire it: the next call refreshes, saves and prints the new token.
    document = json.loads(cache_file.read_text())
    for entry in document["tokens"].values():
        entry["expires_at"] = int(time.time()) - 10
    cache_file.write_text(json.dumps(document))
    refreshed = await run(env, "token", provider.issuer, *common)
    assert refreshed.status == 0, refreshed.err
    new_token = refreshed.out.strip()
    assert new_token != access_token and new_token in provider.access_tokens
    assert len(provider.grants("refresh_token")) == 1
    assert (await run(env, "token", provider.issuer, *common)).out.strip() == new_token


async def test_browser_login_with_no_browser(
    provider: NativeProvider, env: dict[str, str], http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """--no-browser prints the URL; the "user" opens it (here: the test, with aiohttp).

    The provider sends RFC 9207's iss and says so in its metadata: the login checks it.
    """
    provider.send_iss = True
    cache = tmp_path / "cache.json"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "quart_oauthlib",
        "login",
        provider.issuer,
        "--client-id",
        provider.client_id,
        "--no-browser",
        "--cache",
        str(cache),
        "--scope",
        "openid",
        "email",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    try:
        async with asyncio.timeout(COMMAND_TIMEOUT):
            while True:
                line = (await process.stderr.readline()).decode()
                assert line, "the command ended without printing the URL"
                if line.strip().startswith(provider.url("/authorize")):
                    break
            async with http.get(line.strip()) as page:
                assert page.status == 200
                assert "close this window" in await page.text()
            out = (await process.stdout.read()).decode()
            await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0
    assert out == "Signed in as Ada Lovelace (user-1).\n"
    assert len(provider.grants("authorization_code")) == 1
    token = await run(
        env, "token", provider.issuer, "--client-id", provider.client_id, "--cache", str(cache)
    )
    assert token.status == 0 and token.out.strip() in provider.access_tokens


async def test_token_before_login_is_a_one_line_error(
    provider: NativeProvider, env: dict[str, str]
) -> None:
    result = await run(env, "token", provider.issuer, "--client-id", provider.client_id)
    assert_one_line_error(result)
    assert "Not signed in" in result.err and "login" in result.err
    assert result.out == ""


async def test_errors_are_one_line(
    provider: NativeProvider, env: dict[str, str], tmp_path: Path
) -> None:
    unknown = await run(env, "login", "gooogle", "--client-id", "x")
    assert_one_line_error(unknown)
    assert "google" in unknown.err  # the close match

    usage = await run(env, "login", provider.issuer)  # no --client-id
    assert usage.status == 2 and "Traceback" not in usage.err

    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text("{oops")
    corrupt.chmod(0o600)
    result = await run(env, "token", provider.issuer, "--client-id", "x", "--cache", str(corrupt))
    assert_one_line_error(result)
    assert "not a token cache" in result.err
    assert corrupt.read_text() == "{oops"

    provider.device_script = ["access_denied"]
    result = await run(env, "login", provider.issuer, "--client-id", provider.client_id, "--device")
    assert_one_line_error(result_without_progress(result))
    assert "access_denied" in result.err

    nowhere = await run(env, "login", "https://127.0.0.1:9", "--client-id", "x")
    assert_one_line_error(nowhere)


def result_without_progress(result: Result) -> Result:
    """The device flow's instructions are on stderr too; keep the last line (the error)."""
    lines = result.err.strip().splitlines()
    return Result(result.status, result.out, lines[-1] + "\n")


def test_default_cache_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert default_cache_path() == tmp_path / "quart-oauthlib" / "tokens.json"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_path() == tmp_path / "home" / ".config" / "quart-oauthlib" / "tokens.json"
