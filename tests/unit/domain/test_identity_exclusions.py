"""Digests of a self-excluded player's identifiers: one per identifier, over a normal form, never the identifier."""

from __future__ import annotations

from src.domain.identity.exclusions import identity_digests


def test_case_and_spacing_do_not_make_a_new_identity() -> None:
    plain = identity_digests("Lucky_Star", "Ann@Example.com", "+44 20 7946-0958")

    assert identity_digests(" lucky_star ", "ann@example.COM ", "+44(20)79460958") == plain
    assert len(plain) == 3


def test_each_identifier_alone_matches_its_own_digest_only() -> None:
    everything = identity_digests("lucky_star", "ann@example.com", "+442079460958")
    by_email = identity_digests(None, "ann@example.com", None)
    by_phone = identity_digests(None, None, "+442079460958")

    assert by_email < everything
    assert by_phone < everything
    assert not by_email & by_phone
    assert identity_digests(None, None, None) == frozenset()


def test_the_same_text_as_a_different_kind_of_identifier_is_another_digest() -> None:
    assert not identity_digests("ann", None, None) & identity_digests(None, "ann", None)


def test_a_digest_does_not_contain_the_identifier() -> None:
    digests = identity_digests("lucky_star", "ann@example.com", "+442079460958")

    assert all(len(d) == 64 and "lucky" not in d and "ann" not in d for d in digests)
