"""DriverPool, asyncpg connections of its own for standalone statements, on PostgreSQL: bounded, reused, errors as
on SQLAlchemy's path, a broken connection never handed out again, busy and closed answered DependencyUnavailable."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from sqlalchemy import make_url

from src.adapters.sqla.database import SqlaDatabase
from src.adapters.sqla.driver import driver_execute, driver_fetch, standalone_fetch, stands_alone
from src.adapters.sqla.driver_pool import DriverPool
from src.adapters.sqla.gauges import SqlaGauges
from src.adapters.sqla.uow import SqlaUnitOfWork
from src.application.shared.errors import DependencyUnavailable
from src.application.shared.scheduling import WORK_BEGAN
from src.domain.identity.model import Session
from src.domain.shared.errors import InvalidInput
from tests.contract.wallet.conftest import given_user
from tests.support.clocks import FakeClock
from tests.support.polling import eventually
from tests.support.round_trips import counted, instrumented


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def pools(database: SqlaDatabase) -> AsyncIterator[Callable[..., DriverPool]]:
    """`pools(size=…, …)`: pools on the test database, each closed afterwards."""
    made: list[DriverPool] = []

    def make(size: int = 2, timeout: float = 10, **options: object) -> DriverPool:
        pool = DriverPool(database.connect_driver, size=size, timeout=timeout, **options)  # type: ignore[arg-type]
        made.append(pool)
        return pool

    try:
        yield make
    finally:
        for pool in made:
            await pool.close()


async def _all_in_use(pool: DriverPool) -> bool:
    return pool.open_connections() > 0 and pool.idle_connections() == 0


async def _backend(pool: DriverPool) -> int:
    return int((await pool.fetch("SELECT pg_backend_pid() AS pid"))[0]["pid"])


async def test_nothing_is_opened_before_the_first_statement_and_one_connection_serves_reads_in_turn(
    pools: Callable[..., DriverPool],
) -> None:
    sut = pools(size=3)
    assert sut.open_connections() == 0

    backends = {await _backend(sut) for _ in range(5)}

    assert len(backends) == 1
    assert (sut.open_connections(), sut.idle_connections()) == (1, 1)


async def test_a_statement_runs_outside_any_transaction_and_sees_what_is_committed(
    pools: Callable[..., DriverPool], database: SqlaDatabase
) -> None:
    sut = pools()
    writer = await database.connect_driver()
    try:
        await writer.execute("CREATE TABLE pool_probe (n int)")
        transaction = writer.transaction()
        await transaction.start()
        await writer.execute("INSERT INTO pool_probe VALUES (1)")
        unseen = await sut.fetch("SELECT count(*) AS n FROM pool_probe")
        await transaction.commit()
        seen = await sut.fetch("SELECT count(*) AS n FROM pool_probe")
        backend = await _backend(sut)
        state = await writer.fetchval("SELECT state FROM pg_stat_activity WHERE pid = $1", backend)
    finally:
        await writer.close()

    assert (unseen[0]["n"], seen[0]["n"]) == (0, 1)
    assert state == "idle"  # not "idle in transaction": nothing was begun


async def test_more_reads_than_connections_wait_their_turn_and_every_connection_comes_back(
    pools: Callable[..., DriverPool],
) -> None:
    sut = pools(size=2)

    answers = await asyncio.gather(*(sut.fetch("SELECT $1::int AS n, pg_sleep(0.01)", n) for n in range(20)))

    assert [rows[0]["n"] for rows in answers] == list(range(20))
    assert (sut.open_connections(), sut.idle_connections()) == (2, 2)


async def test_a_failing_statement_answers_as_on_sqlalchemys_path_and_keeps_its_connection(
    pools: Callable[..., DriverPool],
) -> None:
    sut = pools(size=1)
    before = await _backend(sut)

    with pytest.raises(asyncpg.UndefinedTableError):
        await sut.fetch("SELECT * FROM no_such_table")
    with pytest.raises(InvalidInput):
        await sut.fetch("SELECT $1::text", "nul \x00 byte")

    assert await _backend(sut) == before


async def test_a_connection_the_server_dropped_fails_at_most_one_read_and_is_replaced(
    pools: Callable[..., DriverPool], database: SqlaDatabase
) -> None:
    sut = pools(size=1)
    dropped = await _backend(sut)
    killer = await database.connect_driver()
    try:
        await killer.execute("SELECT pg_terminate_backend($1)", dropped)
    finally:
        await killer.close()
    failures: list[str] = []

    async def read_again() -> int | None:
        try:
            return await _backend(sut)
        except DependencyUnavailable as exc:  # sent before the client saw the close
            failures.append(exc.reason)
            return None

    replacement = await eventually(read_again)

    assert replacement != dropped
    assert len(failures) <= 1
    assert sut.open_connections() == 1


async def test_a_read_cancelled_mid_statement_does_not_hand_its_connection_out_again(
    pools: Callable[..., DriverPool],
) -> None:
    sut = pools(size=1)
    before = await _backend(sut)
    slow = asyncio.create_task(sut.fetch("SELECT pg_sleep(5)"))
    await eventually(lambda: _all_in_use(sut))

    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow

    assert await _backend(sut) != before
    assert sut.open_connections() == 1


async def test_a_checkout_that_waits_out_the_timeout_is_dependency_unavailable_and_frees_its_place(
    pools: Callable[..., DriverPool],
) -> None:
    sut = pools(size=1, timeout=0.3)
    holder = asyncio.create_task(sut.fetch("SELECT pg_sleep(1.5)"))
    await eventually(lambda: _all_in_use(sut))

    with pytest.raises(DependencyUnavailable) as busy:
        await sut.fetch("SELECT 1")
    await holder

    assert busy.value.reason == "TimeoutError"
    assert [tuple(row) for row in await sut.fetch("SELECT 1")] == [(1,)]


async def test_checkouts_queued_at_different_times_each_wait_out_their_own_timeout(
    pools: Callable[..., DriverPool],
) -> None:
    sut = pools(size=1, timeout=0.4)
    holder = asyncio.create_task(sut.fetch("SELECT pg_sleep(2)"))
    await eventually(lambda: _all_in_use(sut))

    async def refused_after() -> float:
        began = time.monotonic()
        with pytest.raises(DependencyUnavailable):
            await sut.fetch("SELECT 1")
        return time.monotonic() - began

    first = asyncio.create_task(refused_after())
    await asyncio.sleep(0.2)
    second = asyncio.create_task(refused_after())
    waited = [await first, await second]
    await holder

    assert all(0.35 < seconds < 1.5 for seconds in waited)  # each its own 0.4 s, not the first one's deadline
    assert [tuple(row) for row in await sut.fetch("SELECT 1")] == [(1,)]


async def test_a_checkout_past_the_waiting_bound_is_refused_at_once_and_the_waiting_ones_are_served(
    pools: Callable[..., DriverPool],
) -> None:
    sut = pools(size=1, timeout=30, max_waiting=2)
    holder = asyncio.create_task(sut.fetch("SELECT pg_sleep(0.5)"))
    await eventually(lambda: _all_in_use(sut))
    waiting = [asyncio.create_task(sut.fetch("SELECT 2 AS n")) for _ in range(2)]
    await asyncio.sleep(0)  # both queued behind the holder

    began = time.monotonic()
    with pytest.raises(DependencyUnavailable) as shed:
        await sut.fetch("SELECT 3")
    refused_after = time.monotonic() - began

    await holder
    assert [rows[0]["n"] for rows in await asyncio.gather(*waiting)] == [2, 2]
    assert shed.value.reason == "PoolQueueFull"
    assert refused_after < 0.5


async def test_a_connection_that_comes_back_goes_to_the_waiting_checkout_whose_work_began_first(
    pools: Callable[..., DriverPool], database: SqlaDatabase
) -> None:
    sut = pools(size=1)
    blocker = await database.connect_driver()
    await blocker.execute("SELECT pg_advisory_lock(4242)")
    holder = asyncio.create_task(sut.fetch("SELECT pg_advisory_xact_lock(4242)"))  # the one connection, held
    await eventually(lambda: _all_in_use(sut))
    served: list[str] = []

    async def read(name: str, began: float | None) -> None:
        WORK_BEGAN.set(began)  # this task's own context, as a request's
        await sut.fetch("SELECT 1")
        served.append(name)

    reads = []
    for name, began in (("came first", time.monotonic()), ("began earlier", time.monotonic() - 5), ("unset", None)):
        reads.append(asyncio.create_task(read(name, began)))
        for _ in range(3):
            await asyncio.sleep(0)  # queued, in this order
    await blocker.execute("SELECT pg_advisory_unlock(4242)")
    await asyncio.gather(holder, *reads)
    await blocker.close()

    assert served == ["began earlier", "came first", "unset"]  # unset: the checkout's own time, the latest


async def test_a_checkout_cancelled_while_waiting_leaves_its_place_to_the_next(
    pools: Callable[..., DriverPool], database: SqlaDatabase
) -> None:
    sut = pools(size=1, max_waiting=1)
    blocker = await database.connect_driver()
    await blocker.execute("SELECT pg_advisory_lock(4243)")
    holder = asyncio.create_task(sut.fetch("SELECT pg_advisory_xact_lock(4243)"))
    await eventually(lambda: _all_in_use(sut))
    given_up = asyncio.create_task(sut.fetch("SELECT 1"))
    for _ in range(3):
        await asyncio.sleep(0)
    given_up.cancel()
    with pytest.raises(asyncio.CancelledError):
        await given_up

    waiting = asyncio.create_task(sut.fetch("SELECT 2 AS n"))  # not refused: the bound counts who waits now
    for _ in range(3):
        await asyncio.sleep(0)
    await blocker.execute("SELECT pg_advisory_unlock(4243)")
    await holder
    await blocker.close()

    assert (await waiting)[0]["n"] == 2


async def test_a_connection_past_its_recycle_age_is_closed_and_replaced(pools: Callable[..., DriverPool]) -> None:
    clock = Clock()
    sut = pools(size=1, recycle_seconds=60, monotonic=clock)
    first = await _backend(sut)
    clock.now += 59
    again = await _backend(sut)
    clock.now += 2

    replaced = await _backend(sut)

    assert again == first
    assert replaced != first
    assert sut.open_connections() == 1


async def test_a_closed_pool_closes_its_connections_and_refuses_reads(pools: Callable[..., DriverPool]) -> None:
    sut = pools(size=2)
    await asyncio.gather(*(sut.fetch("SELECT pg_sleep(0.05)") for _ in range(2)))
    assert sut.open_connections() == 2

    await sut.close()

    assert sut.open_connections() == 0
    with pytest.raises(DependencyUnavailable):
        await sut.fetch("SELECT 1")


async def test_an_unreachable_server_is_dependency_unavailable(pg_url: str) -> None:
    unreachable = SqlaDatabase(make_url(pg_url).set(port=1).render_as_string(hide_password=False))
    sut = DriverPool(unreachable.connect_driver, size=1, timeout=5)
    try:
        with pytest.raises(DependencyUnavailable) as refused:
            await sut.fetch("SELECT 1")
        assert sut.open_connections() == 0
        assert refused.value.reason in {"ConnectionRefusedError", "OSError"}
    finally:
        await sut.close()
        await unreachable.dispose()


GAUGE_LOCK = 816_2031


async def test_the_gauges_show_the_read_pool_in_use_and_its_size(
    pools: Callable[..., DriverPool], database: SqlaDatabase
) -> None:
    sut, locker = pools(size=3), pools(size=1)
    gauges = SqlaGauges(database, FakeClock(datetime(2031, 1, 1, tzinfo=UTC)), sut)
    await sut.fetch("SELECT 1")  # one connection open, idle
    # the holder waits on a lock this test releases, not on a timer a loaded machine could outlast
    await locker.fetch("SELECT pg_advisory_lock($1)", GAUGE_LOCK)
    holder = asyncio.create_task(sut.fetch("SELECT pg_advisory_xact_lock_shared($1)", GAUGE_LOCK))
    await eventually(lambda: _all_in_use(sut))

    during = {sample.name: sample.value for sample in await gauges.sample()}
    await locker.fetch("SELECT pg_advisory_unlock($1)", GAUGE_LOCK)
    await holder
    after = {sample.name: sample.value for sample in await gauges.sample()}

    assert (during["db_read_pool_in_use"], during["db_read_pool_size"]) == (1, 3)
    assert after["db_read_pool_in_use"] == 0


async def test_a_unit_of_work_sends_what_stands_alone_to_its_pool_and_a_begun_transaction_to_its_session(
    database: SqlaDatabase, pools: Callable[..., DriverPool]
) -> None:
    pool = pools(size=1)
    pool_backend = await _backend(pool)
    pid = "SELECT pg_backend_pid() AS pid"

    async with SqlaUnitOfWork(database.session_factory, standalone=pool) as sut:
        alone = (await driver_fetch(sut.session, pid))[0]["pid"]
        stood_alone = await stands_alone(sut.session)
        with instrumented():
            committed_nothing = await counted(sut.commit)  # nothing was begun: nothing to commit
        begun = (await driver_execute(sut.session, pid))[0]["pid"]
        in_transaction = (await driver_fetch(sut.session, pid))[0]["pid"]
        stands_alone_after = await stands_alone(sut.session)
        with pytest.raises(ValueError, match="outside any transaction"):
            await standalone_fetch(sut.session, pid)

    assert (alone, stood_alone, committed_nothing["statements"]) == (pool_backend, True, 0)
    assert begun != pool_backend
    assert (in_transaction, stands_alone_after) == (begun, False)


async def test_a_session_and_its_user_read_first_in_a_unit_of_work_go_to_its_pool_and_read_back_equal(
    database: SqlaDatabase, pools: Callable[..., DriverPool]
) -> None:
    """The session check of a request whose state left the cache: both reads on the read pool, nothing begun."""
    user_id = await given_user(lambda: SqlaUnitOfWork(database.session_factory))
    day = datetime(2031, 5, 7, tzinfo=UTC)
    stored = Session(id=str(uuid.uuid4()), user_id=user_id, created_at=day, last_used_at=day,
                     expires_at=day + timedelta(days=30), idle_expires_at=day + timedelta(days=7), device="phone",
                     user_agent="ua", ip="203.0.113.9")  # fmt: skip
    async with SqlaUnitOfWork(database.session_factory) as uow:
        await uow.sessions.add(stored)
        await uow.commit()
        expected_user = await uow.users.get(user_id)

    async with SqlaUnitOfWork(database.session_factory, standalone=pools(size=1)) as sut:
        session = await sut.sessions.get(stored.id)
        user = await sut.users.get(user_id)
        nothing_begun = await stands_alone(sut.session)
        unknown = await sut.sessions.get(str(uuid.uuid4()))

    assert (session, user, unknown, nothing_begun) == (stored, expected_user, None, True)
