"""The single-flight primitive behind "exactly one refresh"."""

from __future__ import annotations

import asyncio

import pytest

from quart_oauthlib.client._single_flight import SingleFlight


async def test_concurrent_callers_share_one_call() -> None:
    flight = SingleFlight[int]()
    calls = 0

    async def work() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return 42

    results = await asyncio.gather(*(flight.run(work) for _ in range(50)))
    assert calls == 1
    assert [value for value, _ in results] == [42] * 50
    assert sum(started for _, started in results) == 1
    assert not flight.in_flight


async def test_every_waiter_gets_the_same_error_and_a_later_call_retries() -> None:
    flight = SingleFlight[int]()
    calls = 0

    async def failing() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        raise RuntimeError("provider down")

    results = await asyncio.gather(
        *(flight.run(failing) for _ in range(10)), return_exceptions=True
    )
    assert calls == 1
    assert all(isinstance(r, RuntimeError) for r in results)
    with pytest.raises(RuntimeError):
        await flight.run(failing)
    assert calls == 2


async def test_cancelling_the_starter_does_not_cancel_the_call() -> None:
    flight = SingleFlight[str]()
    finished = asyncio.Event()

    async def slow() -> str:
        await asyncio.sleep(0.05)
        finished.set()
        return "done"

    starter = asyncio.ensure_future(flight.run(slow))
    await asyncio.sleep(0)
    joiner = asyncio.ensure_future(flight.run(slow))
    await asyncio.sleep(0)
    starter.cancel()
    value, started = await joiner
    assert (value, started) == ("done", False)
    assert finished.is_set()
