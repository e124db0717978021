"""What each process profile opens: a CLI command one Redis client and no push client, no OLAP and no Redis
realtime fan-out; servers and workers their background Redis client, the push client and the fan-out on Redis."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
import pytest

from src.entrypoints.bootstrap import Profile, contexts, infra, open_container
from tests.conftest import SettingsFactory


class Opened:
    """Counts what the composition root opens, by wrapping its constructors (they still open for real)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.redis_clients = 0
        self.push_clients = 0
        self.realtime_on_redis = 0
        self.olap = 0
        monkeypatch.setattr(infra.Redis, "from_pool", self._count("redis_clients", infra.Redis.from_pool))
        monkeypatch.setattr(infra.httpx, "AsyncClient", self._count("push_clients", infra.httpx.AsyncClient))
        monkeypatch.setattr(infra, "open_olap", self._count("olap", infra.open_olap))
        channels = contexts.open_channels

        def open_channels(redis: Any, **options: Any) -> Any:
            self.realtime_on_redis += redis is not None
            return channels(redis, **options)

        monkeypatch.setattr(contexts, "open_channels", open_channels)

    def _count(self, name: str, constructor: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            setattr(self, name, getattr(self, name) + 1)
            return constructor(*args, **kwargs)

        return counted


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        (Profile.COMMAND, (1, 0, 0, 0)),
        (Profile.WORKER, (2, 1, 1, 0)),
        (Profile.SERVER, (2, 1, 1, 1)),
    ],
)
async def test_a_profile_opens_only_what_its_process_uses(
    profile: Profile,
    expected: tuple[int, int, int, int],
    make_settings: SettingsFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sut = Opened(monkeypatch)
    settings = make_settings(push_sender="webpush")

    async with open_container(settings, profile=profile) as container:
        # the leaderboard (background work) runs on whichever client the profile has
        assert await container.games.leaderboard.top("net_coins", "all_time", 1, container.clock.now()) == []

    assert (sut.redis_clients, sut.push_clients, sut.realtime_on_redis, sut.olap) == expected


async def test_a_worker_opens_the_olap_store_when_it_is_a_clickhouse_server(
    make_settings: SettingsFactory, olap_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker then builds privacy exports with the player's analytics history; with the embedded chDB it may not."""
    opened: list[str] = []
    real_open = infra.open_olap

    async def open_olap(settings: Any, stack: Any) -> Any:
        opened.append(settings.clickhouse_dsn)  # the server is not there: the session's chDB stands in for it
        return await real_open(msgspec.structs.replace(settings, clickhouse_dsn=olap_dsn), stack)

    monkeypatch.setattr(infra, "open_olap", open_olap)
    server_dsn = "clickhouse://analytics.internal:8123/default"

    async with open_container(make_settings(clickhouse_dsn=server_dsn), profile=Profile.WORKER) as container:
        export_olap = container.privacy.olap
    async with open_container(make_settings(), profile=Profile.WORKER) as container:
        embedded_olap = container.privacy.olap

    assert opened == [server_dsn]
    assert (export_olap is not None, embedded_olap) == (True, None)
