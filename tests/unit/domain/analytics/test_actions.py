"""Which actions may be tracked, and what of their context is kept."""

from __future__ import annotations

import pytest

from src.domain.analytics.actions import (
    MAX_CONTEXT_BYTES,
    check_action_type,
    clean_context,
    is_sensitive_key,
    stripped,
)
from src.domain.shared.errors import InvalidInput


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "PASSWORD",
        "Password",
        "new_password",
        "passwd",
        "phone",
        "Phone_Number",
        "phoneNumber",
        "email",
        "E-Mail",
        "EMAIL_ADDRESS",
        "card",
        "cardNumber",
        "CARD_TOKEN",
        "card-cvc",
        "cardinality",
    ],
)
def test_sensitive_keys_in_any_case_and_spelling(key: str) -> None:
    assert is_sensitive_key(key)


@pytest.mark.parametrize("key", ["screen", "sku", "level", "scorecard", "mail_opened", "telephone_ok", "id"])
def test_ordinary_keys_are_kept(key: str) -> None:
    assert not is_sensitive_key(key)


def test_stripping_reaches_objects_inside_lists_and_keeps_everything_else() -> None:
    sut = {"a": [{"Email": 1, "b": [{"card_no": 2, "c": 3}]}], "phone": {"x": 1}, "d": [1, None, True]}

    assert stripped(sut) == {"a": [{"b": [{"c": 3}]}], "d": [1, None, True]}


def test_a_context_is_bounded_after_stripping() -> None:
    big_secret = {"password": "x" * (MAX_CONTEXT_BYTES * 2), "screen": "lobby"}

    assert clean_context(big_secret) == {"screen": "lobby"}
    assert clean_context(None) == {}
    with pytest.raises(InvalidInput) as refused:
        clean_context({"s": "y" * 250, **{f"k{n}": "z" * 250 for n in range(8)}}, "actions[1].context")
    assert refused.value.details == {"fields": [{"key": "actions[1].context"}]}


@pytest.mark.parametrize("action_type", ["screen_view", "custom:a", "custom:checkout.step-2", "custom:" + "a" * 64])
def test_documented_and_custom_types_are_accepted(action_type: str) -> None:
    assert check_action_type(action_type) == action_type


@pytest.mark.parametrize(
    "action_type", ["Screen_View", "custom:", "custom:Upper", "custom:" + "a" * 65, "custom:a b", "other:x", "x"]
)
def test_other_types_are_refused(action_type: str) -> None:
    with pytest.raises(InvalidInput):
        check_action_type(action_type)
