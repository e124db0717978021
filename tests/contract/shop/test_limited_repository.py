"""Contract of the limited package repository: stock is never oversold and the per-user limit holds, under
concurrent units of work on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from src.domain.shared.errors import InvalidInput
from src.domain.shared.principal import Rank
from src.domain.shop.limited import LimitedPackage, OutOfStock, UserLimitReached
from tests.contract.wallet.conftest import UnitOfWorkFactory

NOW = datetime(2031, 8, 1, 12, 0, tzinfo=UTC)
TTL = timedelta(seconds=120)


def _package(**overrides: object) -> LimitedPackage:
    values: dict[str, object] = {
        "package_id": f"lp_{uuid.uuid4().hex[:12]}",
        "name": "Contract Bundle",
        "description": "for the contract",
        "price_cents": 999,
        "currency": "EUR",
        "gems": 1500,
        "min_rank": Rank.PREMIUM,
        "starts_at": NOW - timedelta(days=1),
        "ends_at": NOW + timedelta(days=1),
        "max_global_stock": 5,
        "per_user_limit": 2,
    }
    values.update(overrides)
    return LimitedPackage(**values)  # type: ignore[arg-type]


async def _stored(uow_factory: UnitOfWorkFactory, package: LimitedPackage) -> LimitedPackage:
    async with uow_factory() as uow:
        stored = await uow.limited.upsert(package, NOW)
        await uow.commit()
    return stored


async def _get(uow_factory: UnitOfWorkFactory, package_id: str) -> LimitedPackage:
    async with uow_factory() as uow:
        package = await uow.limited.get(package_id)
    assert package is not None
    return package


async def _hold(
    uow_factory: UnitOfWorkFactory, package: LimitedPackage, user_id: str, quantity: int = 1, at: datetime = NOW
) -> str:
    """A committed hold in its own unit of work; its transaction id."""
    transaction_id = str(uuid.uuid4())
    async with uow_factory() as uow:
        await uow.limited.hold(
            package.package_id, user_id, transaction_id, quantity, package.per_user_limit, at, at + TTL
        )
        await uow.commit()
    return transaction_id


async def _settle(uow_factory: UnitOfWorkFactory, action: str, transaction_id: str) -> bool:
    async with uow_factory() as uow:
        settled: bool = await getattr(uow.limited, action)(transaction_id, NOW)
        await uow.commit()
    return settled


async def _purchased(uow_factory: UnitOfWorkFactory, package: LimitedPackage, user_id: str) -> int:
    async with uow_factory() as uow:
        return await uow.limited.purchased_by(package.package_id, user_id)


async def test_an_upserted_package_reads_back_whole(uow_factory: UnitOfWorkFactory) -> None:
    package = _package(enabled=False)

    stored = await _stored(uow_factory, package)

    assert stored == package
    assert await _get(uow_factory, package.package_id) == package
    assert stored.starts_at.tzinfo is not None


async def test_an_upsert_changes_settings_but_keeps_sold_and_held(uow_factory: UnitOfWorkFactory) -> None:
    package = await _stored(uow_factory, _package())
    await _hold(uow_factory, package, "user-a")
    await _settle(uow_factory, "finalize", await _hold(uow_factory, package, "user-b"))

    changed = await _stored(uow_factory, replace(package, name="Renamed", max_global_stock=9, sold=0, held=0))

    assert (changed.name, changed.max_global_stock, changed.sold, changed.held) == ("Renamed", 9, 1, 1)
    assert await _get(uow_factory, package.package_id) == changed


async def test_an_upsert_cannot_drop_stock_below_sold_plus_held(uow_factory: UnitOfWorkFactory) -> None:
    package = await _stored(uow_factory, _package(max_global_stock=5, per_user_limit=5))
    await _hold(uow_factory, package, "user-a", quantity=3)

    async with uow_factory() as sut:
        with pytest.raises(InvalidInput):
            await sut.limited.upsert(replace(package, max_global_stock=2), NOW)

    assert (await _get(uow_factory, package.package_id)).max_global_stock == 5


async def test_list_orders_by_start_then_id(uow_factory: UnitOfWorkFactory) -> None:
    later = await _stored(uow_factory, _package(starts_at=NOW - timedelta(hours=1)))
    earlier = await _stored(uow_factory, _package(starts_at=NOW - timedelta(hours=2)))

    async with uow_factory() as sut:
        listed = [package.package_id for package in await sut.limited.list()]

    assert listed.index(earlier.package_id) < listed.index(later.package_id)


async def test_the_kill_switch(uow_factory: UnitOfWorkFactory) -> None:
    package = await _stored(uow_factory, _package())

    async with uow_factory() as sut:
        disabled = await sut.limited.set_enabled(package.package_id, False, NOW)
        unknown = await sut.limited.set_enabled("lp_no_such_package", False, NOW)
        await sut.commit()

    assert disabled == replace(package, enabled=False)
    assert unknown is None
    assert (await _get(uow_factory, package.package_id)).enabled is False


async def test_a_hold_takes_stock_and_counts_for_the_user(uow_factory: UnitOfWorkFactory) -> None:
    package = await _stored(uow_factory, _package())

    await _hold(uow_factory, package, "user-a", quantity=2)

    stored = await _get(uow_factory, package.package_id)
    assert (stored.held, stored.sold, stored.stock_remaining) == (2, 0, 3)
    assert await _purchased(uow_factory, package, "user-a") == 2
    assert await _purchased(uow_factory, package, "user-b") == 0


async def test_a_hold_needs_commit(uow_factory: UnitOfWorkFactory) -> None:
    package = await _stored(uow_factory, _package())
    async with uow_factory() as sut:
        await sut.limited.hold(package.package_id, "user-a", str(uuid.uuid4()), 1, 2, NOW, NOW + TTL)

    assert (await _get(uow_factory, package.package_id)).held == 0
    assert await _purchased(uow_factory, package, "user-a") == 0


async def test_a_hold_past_the_stock_is_out_of_stock_and_changes_nothing(uow_factory: UnitOfWorkFactory) -> None:
    package = await _stored(uow_factory, _package(max_global_stock=3, per_user_limit=5))
    await _hold(uow_factory, package, "user-a", quantity=2)

    with pytest.raises(OutOfStock):
        await _hold(uow_factory, package, "user-b", quantity=2)

    assert (await _get(uow_factory, package.package_id)).held == 2
    assert await _purchased(uow_factory, package, "user-b") == 0


async def test_a_refused_hold_inside_a_committed_unit_of_work_leaves_no_count(uow_factory: UnitOfWorkFactory) -> None:
    package = await _stored(uow_factory, _package(max_global_stock=1, per_user_limit=5))
    await _hold(uow_factory, package, "user-a")

    async with uow_factory() as sut:
        with pytest.raises(OutOfStock):
            await sut.limited.hold(package.package_id, "user-b", str(uuid.uuid4()), 1, 5, NOW, NOW + TTL)
        await sut.commit()  # the caller may go on and commit other work (a failed transaction record)

    assert await _purchased(uow_factory, package, "user-b") == 0
    assert (await _get(uow_factory, package.package_id)).held == 1


async def test_the_per_user_limit_counts_held_and_sold(uow_factory: UnitOfWorkFactory) -> None:
    package = await _stored(uow_factory, _package(per_user_limit=2))
    await _settle(uow_factory, "finalize", await _hold(uow_factory, package, "user-a"))
    await _hold(uow_factory, package, "user-a")

    with pytest.raises(UserLimitReached):
        await _hold(uow_factory, package, "user-a")
    with pytest.raises(UserLimitReached):
        await _hold(uow_factory, package, "user-c", quantity=3)

    assert await _purchased(uow_factory, package, "user-a") == 2
    await _hold(uow_factory, package, "user-b", quantity=2)  # another user has their own limit


async def test_finalize_moves_held_to_sold_once(uow_factory: UnitOfWorkFactory) -> None:
    package = await _stored(uow_factory, _package())
    transaction_id = await _hold(uow_factory, package, "user-a", quantity=2)

    assert await _settle(uow_factory, "finalize", transaction_id) is True
    assert await _settle(uow_factory, "finalize", transaction_id) is False
    assert await _settle(uow_factory, "release", transaction_id) is False

    stored = await _get(uow_factory, package.package_id)
    assert (stored.held, stored.sold, stored.stock_remaining) == (0, 2, 3)
    assert await _purchased(uow_factory, package, "user-a") == 2


async def test_release_gives_stock_and_the_users_count_back_once(uow_factory: UnitOfWorkFactory) -> None:
    package = await _stored(uow_factory, _package(max_global_stock=2, per_user_limit=2))
    transaction_id = await _hold(uow_factory, package, "user-a", quantity=2)

    assert await _settle(uow_factory, "release", transaction_id) is True
    assert await _settle(uow_factory, "release", transaction_id) is False
    assert await _settle(uow_factory, "finalize", transaction_id) is False

    stored = await _get(uow_factory, package.package_id)
    assert (stored.held, stored.sold) == (0, 0)
    assert await _purchased(uow_factory, package, "user-a") == 0
    await _hold(uow_factory, package, "user-a", quantity=2)  # can be bought again


async def test_settling_an_unknown_transaction_is_false(uow_factory: UnitOfWorkFactory) -> None:
    assert await _settle(uow_factory, "finalize", str(uuid.uuid4())) is False
    assert await _settle(uow_factory, "release", str(uuid.uuid4())) is False


async def test_expired_holds_are_the_held_ones_past_expiry_oldest_first(uow_factory: UnitOfWorkFactory) -> None:
    era = datetime(2020, 1, 1, tzinfo=UTC)  # older than any other test's holds on the shared database
    package = await _stored(uow_factory, _package(per_user_limit=5, starts_at=era - timedelta(days=1)))
    second = await _hold(uow_factory, package, "user-a", at=era + timedelta(minutes=2))
    first = await _hold(uow_factory, package, "user-a", at=era + timedelta(minutes=1))
    finalized = await _hold(uow_factory, package, "user-a", at=era)
    await _settle(uow_factory, "finalize", finalized)
    await _hold(uow_factory, package, "user-a", at=era + timedelta(minutes=30))  # not expired yet

    async with uow_factory() as sut:
        expired = await sut.limited.expired_holds(era + timedelta(minutes=10), limit=10)
        limited = await sut.limited.expired_holds(era + timedelta(minutes=10), limit=1)

    assert expired == [first, second]
    assert limited == [first]


async def _try_hold(uow_factory: UnitOfWorkFactory, package: LimitedPackage, user_id: str) -> str:
    try:
        await _hold(uow_factory, package, user_id)
    except OutOfStock:
        return "out_of_stock"
    except UserLimitReached:
        return "user_limit"
    return "held"


async def test_concurrent_holds_never_oversell(uow_factory: UnitOfWorkFactory) -> None:
    package = await _stored(uow_factory, _package(max_global_stock=5))

    outcomes = await asyncio.gather(*(_try_hold(uow_factory, package, f"user-{i}") for i in range(20)))

    assert (outcomes.count("held"), outcomes.count("out_of_stock")) == (5, 15)
    stored = await _get(uow_factory, package.package_id)
    assert (stored.held, stored.stock_remaining) == (5, 0)


async def test_concurrent_holds_of_one_user_stop_at_the_limit(uow_factory: UnitOfWorkFactory) -> None:
    package = await _stored(uow_factory, _package(max_global_stock=50, per_user_limit=3))

    outcomes = await asyncio.gather(*(_try_hold(uow_factory, package, "user-a") for _ in range(10)))

    assert (outcomes.count("held"), outcomes.count("user_limit")) == (3, 7)
    assert await _purchased(uow_factory, package, "user-a") == 3
    assert (await _get(uow_factory, package.package_id)).held == 3


async def test_concurrent_releases_give_stock_back_once(uow_factory: UnitOfWorkFactory) -> None:
    package = await _stored(uow_factory, _package())
    transaction_id = await _hold(uow_factory, package, "user-a", quantity=2)

    outcomes = await asyncio.gather(*(_settle(uow_factory, "release", transaction_id) for _ in range(5)))

    assert outcomes.count(True) == 1
    assert (await _get(uow_factory, package.package_id)).held == 0
    assert await _purchased(uow_factory, package, "user-a") == 0


async def test_a_release_racing_a_finalize_settles_the_hold_one_way(uow_factory: UnitOfWorkFactory) -> None:
    package = await _stored(uow_factory, _package())
    transaction_id = await _hold(uow_factory, package, "user-a")

    finalized, released = await asyncio.gather(
        _settle(uow_factory, "finalize", transaction_id), _settle(uow_factory, "release", transaction_id)
    )

    assert finalized != released
    stored = await _get(uow_factory, package.package_id)
    assert (stored.held, stored.sold) == ((0, 1) if finalized else (0, 0))
