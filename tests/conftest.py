"""Shared fixtures: a PostgreSQL database migrated once per run, isolated Redis keys, apps and clients.

The app stack (Litestar, the app, the settings, the migrations) is imported where a fixture first needs it, not
at the top: the xdist controller loads this module too, runs no test, and would spend ~1.7 s of CPU importing
the stack before it starts its workers.
"""

from __future__ import annotations

import asyncio
import fcntl
import gc
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from redis.asyncio import Redis

from src.entrypoints.runtime import GC_THRESHOLDS
from tests.support.databases import DatabaseReaper, create_database, database_exists, drop_database
from tests.support.env import TEST_REDIS_URL
from tests.support.loops import run_outside_tests
from tests.support.processes import FORK_SERVER_SWITCH, start_shared_fork_server
from tests.support.redis_keys import delete_namespace, new_namespace

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from src.entrypoints.settings import Settings

SettingsFactory = Callable[..., "Settings"]


@pytest.fixture(scope="session")
def session_tmp() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="cc-tests-") as path:
        yield Path(path)


@pytest.fixture(scope="session")
def olap_dsn(session_tmp: Path) -> str:
    """chDB opens one path per process, so the whole session shares one embedded OLAP store."""
    return f"chdb://{session_tmp / 'olap'}"


RUN_ID = "CC_TEST_RUN_ID"  # one id per pytest run, shared by its xdist workers (they inherit the environment)


def pytest_configure(config: pytest.Config) -> None:
    # the collector as `casino-club serve` runs it (src/entrypoints/runtime.py): young passes every 50k net
    # allocations instead of 700, from the collection's imports on (they build the stack and ~3,200 test items)
    gc.set_threshold(*GC_THRESHOLDS)
    os.environ.setdefault(FORK_SERVER_SWITCH, "1")  # `casino-club` processes forked from one import of the stack
    if not hasattr(config, "workerinput"):  # the controller, or a run without xdist
        os.environ.setdefault(RUN_ID, uuid.uuid4().hex[:12])


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: object, ids: list[str]) -> None:
    """In the xdist controller: one fork server for all the workers' `casino-club` processes (one import of the
    stack instead of one per worker), started once a worker has collected e2e tests, before any test runs."""
    if any(nodeid.startswith(("tests/e2e/", "tests/browser/")) for nodeid in ids):
        start_shared_fork_server()


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection built (the imported stack, the test modules, the items) lives until the process ends, so it
    leaves the collector's full passes, as a server's startup heap does (`settle_garbage_collector`). Measured:
    collecting the suite in one process 8.4 s -> 5.3 s of CPU with the thresholds above, and the collector's share
    of the shop and identity API tests' CPU ~4 % -> ~0 with both."""
    gc.collect()
    gc.freeze()


def pytest_unconfigure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput") and RUN_ID in os.environ and _template_lock().exists():
        asyncio.run(drop_database(_template_name()))  # every worker has finished with it
        _template_lock().unlink()


def _template_name() -> str:
    return f"cc_template_{os.environ[RUN_ID]}"


def _template_lock() -> Path:
    return Path(tempfile.gettempdir()) / f"{_template_name()}.lock"


@pytest.fixture(scope="session")
def migrated_template() -> str:
    """The name of a PostgreSQL database migrated to head once per run, for `create_database(template=...)`.

    The first xdist worker to get here migrates it (under a file lock) and the others copy it; the controller
    drops it when the run ends.
    """
    from src.adapters.sqla import migrations  # imported here, not at the top: see the docstring

    name = _template_name()
    with _template_lock().open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not asyncio.run(database_exists(name)):
            _, url = asyncio.run(create_database(name=name))
            try:
                migrations.upgrade(url)
            except BaseException:
                asyncio.run(drop_database(name))  # the next worker tries again rather than copy half a schema
                raise
    return name


@pytest.fixture(scope="session")
def database_reaper() -> Iterator[DatabaseReaper]:
    """Drops the session's scratch databases in the background; the session ends once they are gone."""
    reaper = DatabaseReaper()
    yield reaper
    reaper.close()


@pytest.fixture(scope="session")
def pg_url(migrated_template: str, database_reaper: DatabaseReaper) -> Iterator[str]:
    """A fresh PostgreSQL database migrated to head, dropped at the end of the session."""
    name, url = asyncio.run(create_database(template=migrated_template))
    yield url
    database_reaper.drop(name)


@pytest.fixture(scope="module")
def module_pg_url(migrated_template: str, database_reaper: DatabaseReaper) -> Iterator[str]:
    """As `pg_url`, a database of one module's own: a module whose tests read or write every row of their database
    (a backfill, a scan of every column, an export of the whole outbox again) overrides `pg_url` with it, so
    that work does not grow with the earlier tests of the worker that runs it."""
    name, url = asyncio.run(create_database(template=migrated_template))
    yield url
    database_reaper.drop(name)


async def _delete_namespace(namespace: str) -> None:
    client = Redis.from_url(TEST_REDIS_URL)
    try:
        await delete_namespace(client, namespace)
    finally:
        await client.aclose()


@pytest.fixture
async def redis_namespace() -> AsyncIterator[str]:
    namespace = new_namespace()
    yield namespace
    await _delete_namespace(namespace)


@pytest.fixture(scope="module")
def module_redis_namespace() -> Iterator[str]:
    """The Redis keys of an app that one test module shares."""
    namespace = new_namespace()
    yield namespace
    run_outside_tests(_delete_namespace(namespace))


def _settings_factory(session_tmp: Path, olap_dsn: str, pg_url: str, namespace: str) -> SettingsFactory:
    from src.entrypoints.settings import load_settings  # imported here, not at the top: see the docstring

    def build(**overrides: Any) -> Settings:
        environ = {
            "APP_ENV": "test",
            "VAR_DIR": str(session_tmp / "var"),
            "DATABASE_URL": pg_url,
            "REDIS_URL": TEST_REDIS_URL,
            "REDIS_NAMESPACE": namespace,
            "CLICKHOUSE_DSN": olap_dsn,
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "WARNING",
            "TEST_CHEAP_PASSWORD_HASHES": "true",  # tests/unit/adapters/test_passwords.py covers the real cost
        }
        environ.update({key.upper(): str(value) for key, value in overrides.items()})
        return load_settings(environ, env_file=None)

    return build


@pytest.fixture
def make_settings(session_tmp: Path, olap_dsn: str, pg_url: str, redis_namespace: str) -> SettingsFactory:
    """Settings on real PostgreSQL and Redis; keyword arguments override any variable."""
    return _settings_factory(session_tmp, olap_dsn, pg_url, redis_namespace)


@pytest.fixture(scope="module")
def make_module_settings(session_tmp: Path, olap_dsn: str, pg_url: str, module_redis_namespace: str) -> SettingsFactory:
    """As `make_settings`, for an app that one test module shares (its own Redis namespace)."""
    return _settings_factory(session_tmp, olap_dsn, pg_url, module_redis_namespace)


@pytest.fixture
def app(make_settings: SettingsFactory) -> Litestar:
    from src.entrypoints.http.app import create_app  # imported here, not at the top: see the docstring

    return create_app(make_settings())


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    from litestar.testing import AsyncTestClient  # imported here, not at the top: see the docstring

    async with AsyncTestClient(app) as test_client:
        yield test_client


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each xdist worker's first share of the suite starts with the long tests: a `slow` one (a single test that
    computes for tens of seconds), then e2e modules (processes started, seconds a test).

    `--dist worksteal` hands worker i the i-th contiguous share of this list and lets an idle worker take the end
    of another's queue: with the long tests at the start of every share, they start early and the short ones
    fill the gaps, instead of one worker running all of them while the others wait at the end (a slow test that
    started last would be the run's tail: nothing can take half of one test).
    """
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    slow = [item for item in items if item.get_closest_marker("slow") is not None]
    long = [item for item in items if item.get_closest_marker("e2e") is not None and item not in slow]
    placed = {*slow, *long}
    short = [item for item in items if item not in placed]
    buckets: list[list[pytest.Item]] = [[] for _ in range(workers)]
    for index, item in enumerate(slow):  # one each, first in its share
        buckets[index % workers].append(item)
    for module in dict.fromkeys(item.nodeid.split("::")[0] for item in long):
        smallest = min(buckets, key=len)
        smallest.extend(item for item in long if item.nodeid.split("::")[0] == module)
    ordered, remaining = [], len(items)
    for index, bucket in enumerate(buckets):
        share = remaining // (workers - index)  # the size xdist's worksteal sends this worker first
        remaining -= share
        fill = max(0, share - len(bucket))
        ordered += bucket + short[:fill]
        short = short[fill:]
    items[:] = ordered + short
