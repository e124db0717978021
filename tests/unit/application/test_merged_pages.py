"""One page out of several newest-first sources read after the same cursor (the admin activity timeline)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from src.application.shared.pagination import Page, Position, decode_cursor, merge_newest_first

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _items(*minutes: int, prefix: str) -> list[Position]:
    return [Position(T0 + timedelta(minutes=minute), f"{prefix}{minute}") for minute in minutes]


def _page(items: list[Position], more: bool = False) -> Page[Position]:
    return Page(items, "more" if more else None)


def test_the_newest_items_of_all_sources_make_the_page_and_the_cursor_points_at_the_last() -> None:
    sut = merge_newest_first([_page(_items(9, 5, 1, prefix="a")), _page(_items(8, 7, prefix="b"))], lambda p: p, 3)

    assert [item.id for item in sut.items] == ["a9", "b8", "b7"]
    assert decode_cursor(sut.next_cursor) == Position(T0 + timedelta(minutes=7), "b7")


def test_a_source_with_more_keeps_the_cursor_even_when_the_union_fits() -> None:
    fitting = merge_newest_first([_page(_items(3, prefix="a"), more=True), _page([])], lambda p: p, 5)
    finished = merge_newest_first([_page(_items(3, prefix="a")), _page(_items(2, prefix="b"))], lambda p: p, 5)
    empty = merge_newest_first([_page([]), _page([])], lambda p: p, 5)

    assert fitting.next_cursor is not None
    assert ([item.id for item in finished.items], finished.next_cursor) == (["a3", "b2"], None)
    assert (empty.items, empty.next_cursor) == ([], None)


def test_items_at_the_same_moment_keep_their_sources_order() -> None:
    same = [Position(T0, "z"), Position(T0, "a")]  # the order its source paged them in

    sut = merge_newest_first([_page(same)], lambda p: p, 2)

    assert [item.id for item in sut.items] == ["z", "a"]
