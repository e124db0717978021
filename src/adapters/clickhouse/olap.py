"""OLAP store through clickhouse-connect: a ClickHouse server over HTTP, or chDB in process."""

from __future__ import annotations

import asyncio
import fcntl
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import clickhouse_connect
from clickhouse_connect.driver import options
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import OperationalError, ProgrammingError

from src.application.analytics.ports import OlapStore, Row
from src.application.shared.errors import DependencyUnavailable, StoreInUse

CHDB_PREFIX = "chdb:///"


def chdb_directory(dsn: str) -> Path | None:
    """The directory of an embedded (chDB) store; None for a ClickHouse server."""
    return Path(dsn.removeprefix("chdb://")) if dsn.startswith(CHDB_PREFIX) else None


def held_by_another_process(directory: Path) -> bool:
    """chDB, like a ClickHouse server, holds an exclusive flock on `status` while it has the directory open.

    Only meaningful before this process opens the directory itself (a flock of ours would conflict with it too).
    """
    try:
        with (directory / "status").open("rb") as status:
            try:
                fcntl.flock(status, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(status, fcntl.LOCK_UN)
    except FileNotFoundError:
        return False
    return False


_OPTIONAL_LIBRARIES = {"pd": "pandas", "np": "numpy"}  # clickhouse-connect's lazy options: name -> package
_imports = threading.Lock()


def skip_unused_dataframe_libraries() -> None:
    """Our inserts hand clickhouse-connect Python lists and our queries read Python rows, but its insert resolves
    its lazy `options.pd`/`options.np` (an `isinstance(data, DataFrame)` check), importing pandas and numpy on a
    process's first insert: ~0.35 s of CPU. Resolved as "not installed" (a configuration clickhouse-connect
    supports) unless the process has them loaded already, they stay unimported."""
    for name, package in _OPTIONAL_LIBRARIES.items():
        if name not in vars(options) and package not in sys.modules:
            setattr(options, name, None)
            if name == "pd":
                setattr(options, "pd_time_test", None)  # noqa: B010 - resolved together with pd


@contextmanager
def _without_pyarrow() -> Iterator[None]:
    """chDB's connection module imports pyarrow (and so numpy) when installed, for its Arrow result formats only
    (it runs without: "pyarrow is optional"); clickhouse-connect talks Native. Not importing it saves ~0.2 s of
    CPU per process at the store's first open. A process that loaded pyarrow already keeps it."""
    with _imports:
        if "pyarrow" not in sys.modules and "chdb.state" not in sys.modules:
            sys.modules["pyarrow"] = None  # type: ignore[assignment]  # `import pyarrow` raises ImportError meanwhile
            try:
                import chdb.state  # noqa: F401 - imported here, once, without pyarrow
            finally:
                del sys.modules["pyarrow"]
    yield


def in_use(directory: Path) -> StoreInUse:
    return StoreInUse(
        f"the embedded OLAP store {directory} is in use by another process (a `casino-club serve` on the same "
        "VAR_DIR?): stop it, or give this process another VAR_DIR or CLICKHOUSE_DSN"
    )


class ClickHouseOlap:
    """The OlapStore port on clickhouse-connect: a server (`http://…:8123`) or chDB (`chdb:///dir`).

    The sync client runs in a worker thread so the event loop never waits on ClickHouse.
    """

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            raise RuntimeError("the OLAP store is not started")
        return self._client

    def _connect(self) -> Client:
        directory = chdb_directory(self.dsn)
        if directory is None:
            return clickhouse_connect.get_client(dsn=self.dsn)
        directory.parent.mkdir(parents=True, exist_ok=True)
        try:
            with _without_pyarrow():
                return clickhouse_connect.get_client(dsn=self.dsn)
        except ProgrammingError as exc:
            # chDB says only "Error initializing EmbeddedServer"; the lock tells whether another process has it
            if held_by_another_process(directory):
                raise in_use(directory) from exc
            raise

    async def start(self) -> None:
        skip_unused_dataframe_libraries()
        if self._client is None:
            self._client = await asyncio.to_thread(self._connect)

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await asyncio.to_thread(client.close)

    async def ping(self) -> None:
        await self._call(self.client.command, "SELECT 1")

    async def execute(self, sql: str, parameters: Mapping[str, object] | None = None) -> None:
        await self._call(self.client.command, sql, parameters=parameters)

    async def insert(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> int:
        if not rows:
            return 0
        data = [list(row) for row in rows]
        summary = await self._call(self.client.insert, table, data, column_names=list(columns))
        return int(summary.written_rows)

    async def query(self, sql: str, parameters: Mapping[str, object] | None = None) -> list[dict[str, object]]:
        result = await self._call(self.client.query, sql, parameters=parameters)
        return list(result.named_results())

    async def delete_player(self, player_id: str) -> None:
        """A mutation per table with a `player_id` column, waited for on every replica (mutations_sync=2), so the
        rows are gone when this returns; rows inserted later (a late event) are not touched."""
        tables = await self.query(
            "SELECT DISTINCT table FROM system.columns WHERE database = currentDatabase() AND name = 'player_id'"
        )
        for row in tables:
            await self._call(
                self.client.command,
                "ALTER TABLE {table:Identifier} DELETE WHERE player_id = {player:String}",
                parameters={"table": str(row["table"]), "player": player_id},
                settings={"mutations_sync": 2},
            )

    async def _call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return await asyncio.to_thread(method, *args, **kwargs)
        except OperationalError as exc:  # connection-level: the store is down or unreachable
            raise DependencyUnavailable("olap store unreachable") from exc


class ClickHouseProbe:
    name = "olap"

    def __init__(self, olap: OlapStore) -> None:
        self._olap = olap

    async def check(self) -> None:
        await self._olap.ping()
