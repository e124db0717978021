"""Privacy rules: what scrubbing replaces (and what it must leave alone), and an export's life."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from src.domain.privacy.model import ERASED, PersonalValues, PrivacyRequest, RequestKind, RequestStatus, scrub

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def test_scrub_replaces_personal_values_in_text_and_in_json_keys_and_values_at_any_depth() -> None:
    personal = PersonalValues("alice_01", "Alice W", email="alice@example.org", ips=frozenset({"10.1.2.3"})).all()

    sut = scrub({"to": "alice@example.org", "note": ["hi Alice W, from 10.1.2.3"], "alice_01": {"n": 3}}, personal)

    assert sut == {"to": ERASED, "note": [f"hi {ERASED}, from {ERASED}"], ERASED: {"n": 3}}


def test_a_short_value_is_replaced_only_where_it_is_the_whole_text() -> None:
    personal = PersonalValues("bet", "Al").all()

    assert scrub({"reason": "slot_bet", "name": "Al", "who": "bet", "note": "Also"}, personal) == {
        "reason": "slot_bet",
        "name": ERASED,
        "who": ERASED,
        "note": "Also",
    }


def test_numbers_booleans_and_nulls_are_kept() -> None:
    assert scrub({"amount": 5, "ok": True, "none": None}, ["5", "True"]) == {"amount": 5, "ok": True, "none": None}


def test_personal_values_are_longest_first_without_empties_or_repeats() -> None:
    personal = PersonalValues("nick_name", "nick_name", email="", phone_number=None, user_agents=frozenset({"UA 1"}))

    assert personal.all() == ["nick_name", "UA 1"]


def test_an_export_is_downloadable_once_ready_until_it_expires() -> None:
    sut = PrivacyRequest("x1", "u1", RequestKind.EXPORT, NOW, NOW)
    sut.advance(40, NOW)
    assert (sut.status, sut.progress, sut.downloadable(NOW)) == (RequestStatus.RUNNING, 40, False)

    sut.export_ready(1234, NOW, NOW + timedelta(hours=48))

    assert (sut.progress, sut.downloadable(NOW + timedelta(hours=47))) == (100, True)
    assert sut.status_at(NOW + timedelta(hours=48)) is RequestStatus.EXPIRED
    assert not sut.downloadable(NOW + timedelta(hours=48))


def test_progress_never_goes_back_nor_reaches_100_before_the_end() -> None:
    sut = PrivacyRequest("x1", "u1", RequestKind.EXPORT, NOW, NOW)

    sut.advance(70, NOW)
    sut.advance(30, NOW)
    sut.advance(250, NOW)

    assert sut.progress == 99


def test_an_erasure_is_never_downloadable() -> None:
    sut = PrivacyRequest("e1", "u1", RequestKind.ERASURE, NOW, NOW)
    sut.erased(NOW)

    assert (sut.status, sut.finished, sut.downloadable(NOW)) == (RequestStatus.DONE, True, False)


def test_a_failed_request_is_finished_and_never_downloadable() -> None:
    sut = PrivacyRequest("x1", "u1", RequestKind.EXPORT, NOW, NOW)

    sut.fail(NOW)

    assert (sut.status, sut.finished, sut.downloadable(NOW), sut.completed_at) == (
        RequestStatus.FAILED,
        True,
        False,
        NOW,
    )
