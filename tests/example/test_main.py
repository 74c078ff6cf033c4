"""``python -m example_app`` starts, answers, and stops cleanly on Ctrl-C (SIGINT)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def clean_env() -> dict[str, str]:
    """This environment without provider credentials or example settings."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.endswith(("_CLIENT_ID", "_CLIENT_SECRET")) and not key.startswith("EXAMPLE_")
    }


@asynccontextmanager
async def example_process(
    *args: str, env: dict[str, str] | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``python -m example_app *args``; killed (this PID only) if a test leaves it running."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "example_app", *args,
        cwd=ROOT, env=clean_env() | (env or {}),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def read_until_url(process: asyncio.subprocess.Process) -> str:
    """The URL the banner tells the user to open."""
    assert process.stdout is not None
    while line := await process.stdout.readline():
        match = re.search(r"Open (http://\S+) in your browser", line.decode())
        if match:
            return match.group(1)
    raise AssertionError("the example exited without printing its URL")


async def test_starts_answers_and_stops_on_sigint(tmp_path: Path) -> None:
    no_env_file = str(tmp_path / "absent.env")
    async with example_process(
        "--port", "0", "--provider-port", "0", "--env-file", no_env_file
    ) as process:
        url = await asyncio.wait_for(read_until_url(process), START_TIMEOUT)
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            assert response.status == 200
            assert "Sign in with Dev Provider" in await response.text()

        process.send_signal(signal.SIGINT)
        stdout, stderr = await asyncio.wait_for(process.communicate(), STOP_TIMEOUT)
    assert process.returncode == 0, stderr.decode()
    assert "Stopped." in stdout.decode()
    assert "Traceback" not in stderr.decode()


async def test_a_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        async with example_process("--port", port, "--env-file", str(tmp_path / "x")) as process:
            _, stderr = await asyncio.wait_for(process.communicate(), START_TIMEOUT)
    assert process.returncode == 2
    assert "Cannot listen on 127.0.0.1" in stderr.decode()


async def test_a_tenant_preset_without_its_domain_is_left_out(tmp_path: Path) -> None:
    # Okta needs OKTA_DOMAIN too: without it, Okta is left out, and the rest still runs.
    credentials = {"OKTA_CLIENT_ID": "okta-id", "OKTA_CLIENT_SECRET": "okta-secret-value"}
    async with example_process(
        "--port", "0", "--provider-port", "0", "--env-file", str(tmp_path / "absent.env"),
        env=credentials,
    ) as process:  # fmt: skip
        url = await asyncio.wait_for(read_until_url(process), START_TIMEOUT)
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            page = await response.text()
        assert "Sign in with Dev Provider" in page
        assert "Sign in with Okta" not in page
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), STOP_TIMEOUT)
    assert process.returncode == 0, stderr.decode()
    assert "okta also needs OKTA_DOMAIN" in stderr.decode()
    assert "okta-secret-value" not in stderr.decode()
