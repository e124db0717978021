"""The admins' transaction search on the in-memory unit of work."""

from __future__ import annotations

from datetime import timedelta

import pytest

from src.application.shared.pagination import decode_cursor
from src.application.shop.admin_transactions import get_transaction, search_transactions
from src.application.shop.transactions import TransactionFilters
from src.domain.shared.errors import InvalidInput, NotFound
from src.domain.shop.transactions import TxStatus
from tests.unit.application.shop_payments_support import NOW, Shop, bought, given_player, open_shop


@pytest.fixture
def shop() -> Shop:
    return open_shop()


async def test_filters_by_user_and_status_newest_first(shop: Shop) -> None:
    player, other = await given_player(shop), await given_player(shop)
    first = await bought(shop, player)
    shop.clock.advance(1)
    second = await bought(shop, player, "tok_pending")
    await bought(shop, other)

    everything = await search_transactions(TransactionFilters(user_id=player), None, None, shop.deps)
    pending = await search_transactions(
        TransactionFilters(user_id=player, status=TxStatus.PENDING), 10, None, shop.deps
    )

    assert [tx.id for tx in everything.items] == [second.id, first.id]
    assert [tx.id for tx in pending.items] == [second.id]


async def test_pages_follow_the_cursor(shop: Shop) -> None:
    player = await given_player(shop)
    ids = []
    for _ in range(3):
        ids.append((await bought(shop, player)).id)
        shop.clock.advance(1)

    first = await search_transactions(TransactionFilters(user_id=player), 2, None, shop.deps)
    rest = await search_transactions(TransactionFilters(user_id=player), 2, first.next_cursor, shop.deps)

    assert [tx.id for tx in first.items + rest.items] == list(reversed(ids))
    assert decode_cursor(first.next_cursor) is not None
    assert rest.next_cursor is None


async def test_a_window_that_ends_before_it_starts_is_refused(shop: Shop) -> None:
    backwards = TransactionFilters(created_from=NOW, created_to=NOW - timedelta(seconds=1))

    with pytest.raises(InvalidInput):
        await search_transactions(backwards, None, None, shop.deps)


async def test_one_transaction_of_anyone_or_not_found(shop: Shop) -> None:
    tx = await bought(shop, await given_player(shop))

    assert (await get_transaction(tx.id, shop.deps)).id == tx.id
    with pytest.raises(NotFound):
        await get_transaction("nope", shop.deps)
