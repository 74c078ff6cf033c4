"""The peer tests fail, rather than skip, when CI says the peer runs but it does not answer."""

from __future__ import annotations

import socket

import pytest

from tests.peer.conftest import peer_metadata


async def test_an_unreachable_peer_is_a_failure_not_a_skip() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(pytest.fail.Exception, match="unreachable"):
        await peer_metadata(f"http://127.0.0.1:{port}")
