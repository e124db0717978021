"""Contract of the promo code repository: memory, SQLite and PostgreSQL behave the same, under concurrency too."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from src.application.shared.pagination import decode_cursor
from src.domain.shared.errors import DomainError
from src.domain.shop.promos import PromoCode, PromoCodeTaken, PromoExhausted, PromoExpired, PromoInvalid
from tests.contract.wallet.conftest import UnitOfWorkFactory

NOW = datetime(2031, 7, 1, 12, 0, tzinfo=UTC)


def _promo(**overrides: object) -> PromoCode:
    values: dict[str, object] = {
        "code": f"P{uuid.uuid4().hex[:12].upper()}",
        "discount_percent": 15,
        "max_uses": 3,
        "created_at": NOW - timedelta(days=1),
        "starts_at": NOW - timedelta(hours=1),
        "ends_at": NOW + timedelta(days=7),
    }
    values.update(overrides)
    return PromoCode(**values)  # type: ignore[arg-type]


async def _stored(uow_factory: UnitOfWorkFactory, promo: PromoCode) -> PromoCode:
    async with uow_factory() as uow:
        await uow.promos.add(promo)
        await uow.commit()
    return promo


async def _reserve(uow_factory: UnitOfWorkFactory, code: str, at: datetime = NOW) -> str:
    """Reserve one use in its own unit of work; the transaction id that holds it."""
    transaction_id = str(uuid.uuid4())
    async with uow_factory() as uow:
        await uow.promos.reserve(code, transaction_id, "user-1", at)
        await uow.commit()
    return transaction_id


async def _get(uow_factory: UnitOfWorkFactory, code: str) -> PromoCode:
    async with uow_factory() as uow:
        promo = await uow.promos.get(code)
    assert promo is not None
    return promo


async def _settle(uow_factory: UnitOfWorkFactory, action: str, transaction_id: str) -> bool:
    async with uow_factory() as uow:
        settled: bool = await getattr(uow.promos, action)(transaction_id, NOW)
        await uow.commit()
    return settled


async def test_an_added_code_reads_back_whole(uow_factory: UnitOfWorkFactory) -> None:
    promo = await _stored(uow_factory, _promo(max_uses=None, starts_at=None, ends_at=None, enabled=False))

    assert await _get(uow_factory, promo.code) == promo


async def test_a_taken_code_is_refused(uow_factory: UnitOfWorkFactory) -> None:
    promo = await _stored(uow_factory, _promo())

    async with uow_factory() as sut:
        with pytest.raises(PromoCodeTaken):
            await sut.promos.add(_promo(code=promo.code, discount_percent=50))


async def test_list_is_newest_first_with_a_cursor(uow_factory: UnitOfWorkFactory) -> None:
    era = datetime(2040, 1, 1, tzinfo=UTC)  # newer than any other test's codes on the shared database
    codes = [(await _stored(uow_factory, _promo(created_at=era + timedelta(minutes=i)))).code for i in range(3)]

    async with uow_factory() as sut:
        first = await sut.promos.list(2, None)
        second = await sut.promos.list(2, decode_cursor(first.next_cursor))

    assert [promo.code for promo in first.items] == [codes[2], codes[1]]
    assert second.items[0].code == codes[0]


async def test_reserve_takes_one_use_and_returns_the_code(uow_factory: UnitOfWorkFactory) -> None:
    promo = await _stored(uow_factory, _promo())

    async with uow_factory() as sut:
        taken = await sut.promos.reserve(promo.code, str(uuid.uuid4()), "user-1", NOW)
        await sut.commit()

    assert (taken.code, taken.discount_percent, taken.used_count) == (promo.code, 15, 1)
    assert (await _get(uow_factory, promo.code)).used_count == 1


async def test_a_reserve_needs_commit(uow_factory: UnitOfWorkFactory) -> None:
    promo = await _stored(uow_factory, _promo())
    async with uow_factory() as sut:
        await sut.promos.reserve(promo.code, str(uuid.uuid4()), "user-1", NOW)

    assert (await _get(uow_factory, promo.code)).used_count == 0


@pytest.mark.parametrize(
    ("overrides", "refusal"),
    [
        ({"enabled": False}, PromoInvalid),
        ({"starts_at": NOW + timedelta(minutes=1)}, PromoInvalid),
        ({"ends_at": NOW}, PromoExpired),
        ({"max_uses": 1, "used_count": 1}, PromoExhausted),
    ],
)
async def test_reserve_refuses_by_reason(
    uow_factory: UnitOfWorkFactory, overrides: dict[str, object], refusal: type[DomainError]
) -> None:
    promo = await _stored(uow_factory, _promo(**overrides))

    async with uow_factory() as sut:
        with pytest.raises(refusal):
            await sut.promos.reserve(promo.code, str(uuid.uuid4()), "user-1", NOW)


async def test_reserve_of_an_unknown_code_is_invalid(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as sut:
        with pytest.raises(PromoInvalid):
            await sut.promos.reserve("NO-SUCH-CODE", str(uuid.uuid4()), "user-1", NOW)


async def test_unlimited_codes_never_run_out(uow_factory: UnitOfWorkFactory) -> None:
    promo = await _stored(uow_factory, _promo(max_uses=None))

    for _ in range(5):
        await _reserve(uow_factory, promo.code)

    assert (await _get(uow_factory, promo.code)).used_count == 5


async def test_confirm_keeps_the_use_and_happens_once(uow_factory: UnitOfWorkFactory) -> None:
    promo = await _stored(uow_factory, _promo())
    transaction_id = await _reserve(uow_factory, promo.code)

    assert await _settle(uow_factory, "confirm", transaction_id) is True
    assert await _settle(uow_factory, "confirm", transaction_id) is False
    assert await _settle(uow_factory, "release", transaction_id) is False
    assert (await _get(uow_factory, promo.code)).used_count == 1


async def test_release_gives_the_use_back_once(uow_factory: UnitOfWorkFactory) -> None:
    promo = await _stored(uow_factory, _promo(max_uses=1))
    transaction_id = await _reserve(uow_factory, promo.code)

    assert await _settle(uow_factory, "release", transaction_id) is True
    assert await _settle(uow_factory, "release", transaction_id) is False
    assert await _settle(uow_factory, "confirm", transaction_id) is False
    assert (await _get(uow_factory, promo.code)).used_count == 0
    await _reserve(uow_factory, promo.code)  # the use is there to take again


async def test_settling_an_unknown_transaction_is_false(uow_factory: UnitOfWorkFactory) -> None:
    assert await _settle(uow_factory, "confirm", str(uuid.uuid4())) is False
    assert await _settle(uow_factory, "release", str(uuid.uuid4())) is False


async def _try_reserve(uow_factory: UnitOfWorkFactory, code: str) -> bool:
    try:
        await _reserve(uow_factory, code)
    except PromoExhausted:
        return False
    return True


async def test_concurrent_reserves_never_pass_max_uses(uow_factory: UnitOfWorkFactory) -> None:
    promo = await _stored(uow_factory, _promo(max_uses=3))

    outcomes = await asyncio.gather(*(_try_reserve(uow_factory, promo.code) for _ in range(10)))

    assert outcomes.count(True) == 3
    assert (await _get(uow_factory, promo.code)).used_count == 3


async def test_concurrent_releases_give_the_use_back_once(uow_factory: UnitOfWorkFactory) -> None:
    promo = await _stored(uow_factory, _promo(max_uses=2))
    transaction_id = await _reserve(uow_factory, promo.code)
    await _reserve(uow_factory, promo.code)

    outcomes = await asyncio.gather(*(_settle(uow_factory, "release", transaction_id) for _ in range(5)))

    assert outcomes.count(True) == 1
    assert (await _get(uow_factory, promo.code)).used_count == 1
