"""Quiet hours: windows within a day or across midnight, judged in the player's own timezone."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from src.domain.notifications.audience import Target, TargetKind
from src.domain.notifications.model import Channel, NotificationSettings, QuietHours, parse_clock
from src.domain.shared.errors import InvalidInput

NIGHT = QuietHours(time(23, 0), time(8, 0))
LUNCH = QuietHours(time(12, 0), time(13, 30))


@pytest.mark.parametrize(
    ("window", "moment", "quiet"),
    [
        (NIGHT, time(23, 0), True),
        (NIGHT, time(2, 15), True),
        (NIGHT, time(7, 59, 59), True),
        (NIGHT, time(8, 0), False),
        (NIGHT, time(22, 59), False),
        (NIGHT, time(12, 0), False),
        (LUNCH, time(12, 0), True),
        (LUNCH, time(13, 29), True),
        (LUNCH, time(13, 30), False),
        (LUNCH, time(11, 59), False),
        (QuietHours(time(9, 0), time(9, 0)), time(9, 0), False),
    ],
)
def test_a_window_contains_its_start_but_not_its_end(window: QuietHours, moment: time, quiet: bool) -> None:
    assert window.contains(moment) is quiet


def test_quiet_hours_are_read_in_the_players_timezone() -> None:
    # 22:30 UTC is 07:30 next morning in Tokyo and 23:30 in Berlin (both inside 23:00-08:00), 22:30 in London and
    # 17:30 in New York (outside)
    moment = datetime(2026, 12, 1, 22, 30, tzinfo=UTC)

    quiet = {zone: NotificationSettings("u", dnd=NIGHT, timezone=zone).quiet_at(moment)
             for zone in ("Asia/Tokyo", "Europe/Berlin", "Europe/London", "America/New_York")}  # fmt: skip

    assert quiet == {"Asia/Tokyo": True, "Europe/Berlin": True, "Europe/London": False, "America/New_York": False}


def test_push_and_email_honour_switches_types_and_quiet_hours_but_the_inbox_always_goes() -> None:
    moment = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    quiet = NotificationSettings("u", dnd=NIGHT)
    no_rewards = NotificationSettings("u", types_enabled={"reward": False})
    no_push = NotificationSettings("u", push=False)

    assert not quiet.allows(Channel.PUSH, "system", moment)
    assert not quiet.allows(Channel.EMAIL, "system", moment)
    assert quiet.allows(Channel.INBOX, "system", moment)
    assert quiet.allows(Channel.REALTIME, "system", moment)
    assert not no_rewards.allows(Channel.PUSH, "reward", moment)
    assert no_rewards.allows(Channel.PUSH, "system", moment)
    assert not no_push.allows(Channel.PUSH, "system", moment)
    assert no_push.allows(Channel.EMAIL, "system", moment)


@pytest.mark.parametrize("value", ["24:00", "7:00", "07-00", "ab:cd", ""])
def test_clock_times_are_hh_mm(value: str) -> None:
    with pytest.raises(InvalidInput):
        parse_clock(value, "dnd.start")


@pytest.mark.parametrize("zone", ["Nowhere/City", "", "UTC+2"])
def test_an_unknown_timezone_is_refused(zone: str) -> None:
    with pytest.raises(InvalidInput):
        NotificationSettings("u", timezone=zone)


@pytest.mark.parametrize(
    ("segment", "target"),
    [
        ("everyone", Target(TargetKind.EVERYONE)),
        ("rank:VIP", Target(TargetKind.RANK, "VIP")),
        ("vip_tier:3", Target(TargetKind.VIP_TIER, "3")),
    ],
)
def test_segments_name_a_target(segment: str, target: Target) -> None:
    assert Target.segment(segment) == target


@pytest.mark.parametrize(("kind", "value"), [("rank", "GOLD"), ("vip_tier", "x"), ("user", None), ("everyone", "1"),
                                             ("planet", "earth")])  # fmt: skip
def test_bad_targets_are_refused(kind: str, value: str | None) -> None:
    with pytest.raises(InvalidInput):
        Target.parse(kind, value)
