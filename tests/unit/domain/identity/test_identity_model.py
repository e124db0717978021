"""Identity rules that need no I/O: invites, sessions, ranks, input policies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from src.domain.identity import policies
from src.domain.identity.errors import InviteExhausted, InviteExpired
from src.domain.identity.model import InviteCode, Session
from src.domain.shared.errors import InvalidInput
from src.domain.shared.principal import Rank

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _session(**overrides: object) -> Session:
    values: dict[str, object] = {
        "id": "s1",
        "user_id": "u1",
        "created_at": NOW,
        "last_used_at": NOW,
        "expires_at": NOW + timedelta(days=14),
        "idle_expires_at": NOW + timedelta(days=7),
    }
    values.update(overrides)
    return Session(**values)  # type: ignore[arg-type]


def test_an_invite_with_uses_left_and_no_expiry_is_usable() -> None:
    sut = InviteCode(code="ABCDEFGH", created_at=NOW, max_uses=2, use_count=1)

    sut.check_usable(NOW)

    assert sut.remaining_uses == 1


def test_an_unlimited_invite_reports_no_remaining_count() -> None:
    assert InviteCode(code="ABCDEFGH", created_at=NOW).remaining_uses is None


def test_an_expired_invite_is_refused_as_expired() -> None:
    sut = InviteCode(code="ABCDEFGH", created_at=NOW, expires_at=NOW)

    with pytest.raises(InviteExpired):
        sut.check_usable(NOW)


def test_a_used_up_invite_is_refused_as_exhausted() -> None:
    sut = InviteCode(code="ABCDEFGH", created_at=NOW, max_uses=3, use_count=3)

    with pytest.raises(InviteExhausted):
        sut.check_usable(NOW)


def test_a_session_expires_when_idle_and_touch_extends_it_up_to_the_absolute_expiry() -> None:
    sut = _session()
    idle_deadline = NOW + timedelta(days=7)

    assert sut.is_active(idle_deadline - timedelta(seconds=1))
    assert not sut.is_active(idle_deadline)
    sut.touch(NOW + timedelta(days=10), timedelta(days=7))
    assert sut.idle_expires_at == NOW + timedelta(days=14)
    assert not sut.is_active(NOW + timedelta(days=14))


def test_revoking_keeps_the_first_reason() -> None:
    sut = _session()

    sut.revoke(NOW, "logout")
    sut.revoke(NOW + timedelta(minutes=1), "logout_all")

    assert (sut.revoked_at, sut.revoke_reason) == (NOW, "logout")
    assert not sut.is_active(NOW)


def test_ranks_are_ordered() -> None:
    assert Rank.VIP.at_least(Rank.PREMIUM)
    assert Rank.PREMIUM.at_least(Rank.PREMIUM)
    assert not Rank.STANDARD.at_least(Rank.PREMIUM)


@pytest.mark.parametrize("site_id", ["ab", "a" * 33, "has space", "dash-ed", "ümlaut"])
def test_bad_site_ids_are_refused(site_id: str) -> None:
    with pytest.raises(InvalidInput):
        policies.check_site_id(site_id)


def test_site_ids_are_lowercased() -> None:
    assert policies.check_site_id("  Lucky_Star7 ") == "lucky_star7"


def test_passwords_are_checked_for_length_and_commonness_only() -> None:
    policies.check_password("no digits or symbols here", common_passwords=set())
    with pytest.raises(InvalidInput):
        policies.check_password("seven77", common_passwords=set())
    with pytest.raises(InvalidInput):
        policies.check_password("Password123", common_passwords={"password123"})


def test_contact_details_are_normalised_or_refused() -> None:
    assert policies.check_phone_number("+1 (555) 010-9999") == "+15550109999"
    assert policies.check_email("  player@example.com ") == "player@example.com"
    assert policies.check_email("") is None
    with pytest.raises(InvalidInput):
        policies.check_email("player@nowhere")


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        ("Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/130.0 Safari/537.36", "Chrome on Windows"),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Safari/604.1", "Safari on iOS"),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on Linux"),
        ("", "unknown device"),
    ],
)
def test_devices_are_described_from_the_user_agent(user_agent: str, device: str) -> None:
    assert policies.describe_device(user_agent) == device
