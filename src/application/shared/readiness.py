"""Readiness: every configured dependency answers within its time budget."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from src.application.shared.errors import DependencyUnavailable
from src.application.shared.ports import Cache, HealthProbe


@dataclass(frozen=True, slots=True)
class ProbeResult:
    name: str
    ok: bool
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ReadinessReport:
    results: tuple[ProbeResult, ...]

    @property
    def ready(self) -> bool:
        return all(result.ok for result in self.results)

    @property
    def failed(self) -> list[str]:
        return [result.name for result in self.results if not result.ok]


async def _run_probe(probe: HealthProbe, timeout_seconds: float) -> ProbeResult:
    try:
        await asyncio.wait_for(probe.check(), timeout_seconds)
    except TimeoutError:
        return ProbeResult(probe.name, ok=False, error=f"no answer within {timeout_seconds:g}s")
    except DependencyUnavailable as exc:
        return ProbeResult(probe.name, ok=False, error=exc.reason)
    except Exception as exc:  # noqa: BLE001 - a probe reports any failure of its dependency
        return ProbeResult(probe.name, ok=False, error=type(exc).__name__)
    return ProbeResult(probe.name, ok=True)


async def check_readiness(probes: Sequence[HealthProbe], timeout_seconds: float) -> ReadinessReport:
    """Probe all dependencies concurrently so one slow dependency does not hide the others."""
    results = await asyncio.gather(*(_run_probe(probe, timeout_seconds) for probe in probes))
    return ReadinessReport(tuple(results))


class CacheProbe:
    """Readiness of whatever adapter backs the Cache port."""

    name = "cache"

    def __init__(self, cache: Cache) -> None:
        self._cache = cache

    async def check(self) -> None:
        await self._cache.ping()
