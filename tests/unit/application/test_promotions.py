"""Admin promo code use cases on the in-memory unit of work."""

from __future__ import annotations

from datetime import timedelta

import pytest

from src.application.shop.promotions import CreatePromoCode, create_promo_code, list_promo_codes
from src.domain.shared.errors import InvalidInput
from src.domain.shop.promos import PromoCodeTaken
from tests.unit.application.offers_support import ADMIN, CLIENT, START, OfferDeps, audit_entries


def _create(code: str = " spring10 ", **overrides: object) -> CreatePromoCode:
    values: dict[str, object] = {"discount_percent": 10, "max_uses": 3, "ends_at": START + timedelta(days=7)}
    values.update(overrides)
    return CreatePromoCode(ADMIN, CLIENT, code, **values)  # type: ignore[arg-type]


async def test_a_created_code_is_stored_upper_case_and_audited() -> None:
    sut = OfferDeps()

    promo = await create_promo_code(_create(), sut)

    assert (promo.code, promo.discount_percent, promo.max_uses, promo.used_count) == ("SPRING10", 10, 3, 0)
    assert promo.created_at == START
    [entry] = await audit_entries(sut, "promo_code.create")
    assert (entry.admin_id, entry.target_id, entry.ip) == (ADMIN.user_id, "SPRING10", CLIENT.ip)
    assert entry.payload["max_uses"] == 3


async def test_a_code_taken_in_any_case_is_refused_and_not_audited_twice() -> None:
    sut = OfferDeps()
    await create_promo_code(_create("SPRING10"), sut)

    with pytest.raises(PromoCodeTaken):
        await create_promo_code(_create("spring10", discount_percent=50), sut)

    assert len(await audit_entries(sut, "promo_code.create")) == 1


@pytest.mark.parametrize(
    "overrides",
    [{"discount_percent": 0}, {"discount_percent": 91}, {"max_uses": 0}, {"starts_at": START + timedelta(days=8)}],
)
async def test_invalid_codes_are_refused_before_anything_is_stored(overrides: dict[str, object]) -> None:
    sut = OfferDeps()

    with pytest.raises(InvalidInput):
        await create_promo_code(_create(**overrides), sut)

    assert (await list_promo_codes(None, None, sut)).items == []


async def test_a_malformed_code_is_invalid() -> None:
    with pytest.raises(InvalidInput):
        await create_promo_code(_create("no spaces allowed"), OfferDeps())


async def test_the_list_is_newest_first_and_pages() -> None:
    sut = OfferDeps()
    for index, code in enumerate(["FIRST", "SECOND", "THIRD"]):
        sut.clock.at = START + timedelta(minutes=index)
        await create_promo_code(_create(code), sut)

    first = await list_promo_codes(2, None, sut)
    rest = await list_promo_codes(2, first.next_cursor, sut)

    assert [promo.code for promo in first.items] == ["THIRD", "SECOND"]
    assert [promo.code for promo in rest.items] == ["FIRST"]
    assert rest.next_cursor is None


async def test_a_limit_out_of_range_is_invalid() -> None:
    with pytest.raises(InvalidInput):
        await list_promo_codes(101, None, OfferDeps())
