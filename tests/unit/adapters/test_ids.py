"""Ids and invite codes: unique, and codes readable by a human."""

from __future__ import annotations

import uuid

import pytest

from src.adapters.security.ids import SecretsIdGenerator

UNAMBIGUOUS = set("ABCDEFGHJKMNPQRSTUVWXYZ23456789")


@pytest.fixture
def sut() -> SecretsIdGenerator:
    return SecretsIdGenerator()


def test_ids_are_distinct_uuid4_strings(sut: SecretsIdGenerator) -> None:
    ids = [sut.new_id() for _ in range(100)]

    assert len(set(ids)) == 100
    assert all(uuid.UUID(value).version == 4 and str(uuid.UUID(value)) == value for value in ids)


def test_invite_codes_are_ten_unambiguous_characters(sut: SecretsIdGenerator) -> None:
    codes = [sut.new_invite_code() for _ in range(1000)]

    assert all(len(code) == 10 for code in codes)
    assert set("".join(codes)) <= UNAMBIGUOUS
    assert not set("".join(codes)) & set("0O1IL")


def test_invite_codes_are_distinct_and_use_the_whole_alphabet(sut: SecretsIdGenerator) -> None:
    codes = [sut.new_invite_code() for _ in range(1000)]

    assert len(set(codes)) == 1000
    assert set("".join(codes)) == UNAMBIGUOUS
