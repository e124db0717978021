from __future__ import annotations

import asyncio

from src.application.shared.readiness import check_readiness


class FakeProbe:
    def __init__(self, name: str, *, error: Exception | None = None, delay: float = 0.0) -> None:
        self.name = name
        self._error = error
        self._delay = delay

    async def check(self) -> None:
        await asyncio.sleep(self._delay)
        if self._error is not None:
            raise self._error


async def test_ready_when_every_probe_answers() -> None:
    sut = await check_readiness([FakeProbe("database"), FakeProbe("cache")], timeout_seconds=1)

    assert sut.ready
    assert sut.failed == []


async def test_names_each_failing_dependency() -> None:
    probes = [FakeProbe("database"), FakeProbe("cache", error=ConnectionError("refused")), FakeProbe("olap")]

    sut = await check_readiness(probes, timeout_seconds=1)

    assert not sut.ready
    assert sut.failed == ["cache"]
    assert sut.results[1].error == "ConnectionError"


async def test_a_hanging_dependency_times_out_without_hiding_the_others() -> None:
    probes = [FakeProbe("broker", delay=5), FakeProbe("database")]

    sut = await asyncio.wait_for(check_readiness(probes, timeout_seconds=0.05), timeout=1)

    assert sut.failed == ["broker"]
    assert "no answer" in (sut.results[0].error or "")
