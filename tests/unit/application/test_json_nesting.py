"""The nesting bound on JSON from outside: exact at the limit, blind to brackets inside strings, linear."""

from __future__ import annotations

import json

import pytest

from src.application.shared.json_nesting import MAX_JSON_DEPTH, nests_within


def nested(depth: int, open_: str = "[", close: str = "]") -> str:
    return open_ * depth + close * depth


@pytest.mark.parametrize("depth", [0, 1, 5, MAX_JSON_DEPTH])
def test_a_document_up_to_the_limit_passes(depth: int) -> None:
    assert nests_within(nested(depth))


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1000, 100_000])
def test_a_document_past_the_limit_is_refused(depth: int) -> None:
    assert not nests_within(nested(depth))


def test_objects_and_arrays_count_alike_and_siblings_do_not_add_up() -> None:
    level = '{"a":[%s],"b":[1,2],"c":{"d":3}}'  # two levels per wrap, siblings as deep as the chain
    document = "1"
    for _ in range(MAX_JSON_DEPTH // 2):
        document = level % document

    assert json.loads(document)
    assert nests_within(document)
    assert not nests_within(level % document)


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"note": "[" * 100 + '\\"{' * 100, "list": ["]" * 100]})

    assert nests_within(text)
    assert nests_within(text.encode())


def test_unbalanced_brackets_in_a_long_text_are_refused() -> None:
    assert not nests_within("[" * (MAX_JSON_DEPTH + 1))
    assert not nests_within("[}" * (MAX_JSON_DEPTH + 1))


def test_the_limit_can_be_chosen() -> None:
    assert nests_within(nested(3, "{", "}"), limit=3)
    assert not nests_within(nested(4, "{", "}"), limit=3)
