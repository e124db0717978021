"""Limited package use cases on the in-memory unit of work: admin upsert and kill switch, the player's view."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from src.application.shop.limited_packages import (
    SwitchLimitedPackage,
    UpsertLimitedPackage,
    list_packages,
    player_catalog,
    switch_package,
    upsert_package,
)
from src.domain.shared.errors import InvalidInput, NotFound
from src.domain.shop.limited import LimitedPackage
from tests.unit.application.offers_support import ADMIN, CLIENT, START, OfferDeps, audit_entries


def _package(package_id: str = "winter_bundle", **overrides: object) -> LimitedPackage:
    values: dict[str, object] = {
        "name": "Winter Bundle",
        "price_cents": 1999,
        "gems": 3000,
        "starts_at": START - timedelta(days=1),
        "ends_at": START + timedelta(days=30),
        "max_global_stock": 10,
        "per_user_limit": 2,
    }
    values.update(overrides)
    return LimitedPackage(package_id=package_id, **values)  # type: ignore[arg-type]


async def _upsert(deps: OfferDeps, package: LimitedPackage, enabled: bool | None = None) -> LimitedPackage:
    return await upsert_package(UpsertLimitedPackage(ADMIN, CLIENT, package, enabled), deps)


async def _hold(deps: OfferDeps, package_id: str, user_id: str, quantity: int = 1) -> None:
    async with deps.uow_factory() as uow:
        await uow.limited.hold(package_id, user_id, f"tx-{user_id}-{quantity}", quantity, 5, START, START)
        await uow.commit()


async def test_an_upsert_creates_an_enabled_package_and_is_audited() -> None:
    sut = OfferDeps()

    stored = await _upsert(sut, _package())

    assert stored == _package()
    assert await list_packages(sut) == [stored]
    [entry] = await audit_entries(sut, "limited_package.upsert")
    assert (entry.target_id, entry.payload["created"], entry.payload["max_global_stock"]) == ("winter_bundle", True, 10)


async def test_an_upsert_changes_settings_and_keeps_the_switch_and_the_stock_taken() -> None:
    sut = OfferDeps()
    await _upsert(sut, _package())
    await switch_package(SwitchLimitedPackage(ADMIN, CLIENT, "winter_bundle", enabled=False), sut)
    await _hold(sut, "winter_bundle", "user-a", quantity=3)
    sut.clock.at += timedelta(minutes=1)

    changed = await _upsert(sut, _package(name="Winter Bundle XL", gems=4000))

    assert (changed.name, changed.gems, changed.enabled, changed.held) == ("Winter Bundle XL", 4000, False, 3)
    assert (await audit_entries(sut, "limited_package.upsert"))[0].payload["created"] is False


async def test_an_upsert_may_set_the_switch_explicitly() -> None:
    sut = OfferDeps()
    await _upsert(sut, _package())

    assert (await _upsert(sut, _package(), enabled=False)).enabled is False


async def test_an_upsert_cannot_shrink_stock_below_what_is_taken() -> None:
    sut = OfferDeps()
    await _upsert(sut, _package())
    await _hold(sut, "winter_bundle", "user-a", quantity=4)

    with pytest.raises(InvalidInput):
        await _upsert(sut, _package(max_global_stock=3))

    assert len(await audit_entries(sut, "limited_package.upsert")) == 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"package_id": "Bad Id"},
        {"price_cents": 0},
        {"gems": 0},
        {"max_global_stock": 0},
        {"per_user_limit": 0},
        {"ends_at": START - timedelta(days=2)},
    ],
)
def test_invalid_packages_cannot_be_built(overrides: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        _package(**overrides)


async def test_the_kill_switch_is_audited_both_ways() -> None:
    sut = OfferDeps()
    await _upsert(sut, _package())

    disabled = await switch_package(SwitchLimitedPackage(ADMIN, CLIENT, "winter_bundle", enabled=False), sut)
    enabled = await switch_package(SwitchLimitedPackage(ADMIN, CLIENT, "winter_bundle", enabled=True), sut)

    assert (disabled.enabled, enabled.enabled) == (False, True)
    assert len(await audit_entries(sut, "limited_package.disable")) == 1
    assert len(await audit_entries(sut, "limited_package.enable")) == 1


async def test_switching_an_unknown_package_is_not_found() -> None:
    with pytest.raises(NotFound):
        await switch_package(SwitchLimitedPackage(ADMIN, CLIENT, "no_such_package", enabled=False), OfferDeps())


async def test_players_see_stock_their_own_purchases_and_what_is_on_sale() -> None:
    sut = OfferDeps()
    await _upsert(sut, _package())
    await _upsert(
        sut, _package("spring_bundle", starts_at=START + timedelta(days=60), ends_at=START + timedelta(days=90))
    )
    await _hold(sut, "winter_bundle", "user-a", quantity=2)
    await _hold(sut, "winter_bundle", "user-b", quantity=1)

    [winter, spring] = await player_catalog("user-a", sut)

    assert (winter.package.package_id, winter.package.stock_remaining, winter.user_purchased) == ("winter_bundle", 7, 2)
    assert winter.on_sale is True
    assert (spring.package.package_id, spring.user_purchased, spring.on_sale) == ("spring_bundle", 0, False)


async def test_players_do_not_see_disabled_or_ended_packages() -> None:
    sut = OfferDeps()
    await _upsert(sut, _package("ended_bundle", starts_at=START - timedelta(days=9), ends_at=START - timedelta(days=1)))
    await _upsert(sut, _package("paused_bundle"), enabled=False)
    await _upsert(sut, _package())

    assert [view.package.package_id for view in await player_catalog("user-a", sut)] == ["winter_bundle"]
    assert len(await list_packages(sut)) == 3


async def test_a_package_is_seen_until_the_end_of_its_window() -> None:
    sut = OfferDeps()
    await _upsert(sut, _package())
    sut.clock.at = START + timedelta(days=30)

    assert [view.on_sale for view in await player_catalog("user-a", sut)] == [True]
    sut.clock.at += timedelta(seconds=1)
    assert await player_catalog("user-a", sut) == []


async def test_upsert_ignores_sold_and_held_given_by_the_caller() -> None:
    sut = OfferDeps()

    stored = await _upsert(sut, replace(_package(), sold=4, held=3))

    assert (stored.sold, stored.held) == (0, 0)
