"""Contract of campaigns and audiences: conditional transitions, one delivery per (campaign, player) even
when units of work claim concurrently, atomic progress counters, audiences by target."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from src.domain.identity.model import AccountStatus, User
from src.domain.notifications.audience import Target, TargetKind
from src.domain.notifications.campaigns import Campaign, CampaignStatus
from src.domain.notifications.model import Channel
from src.domain.shared.principal import Rank
from tests.contract.wallet.conftest import CREATED, UnitOfWorkFactory
from tests.support.contention import Hold, contend

NOW = datetime(2031, 6, 1, 12, 0, tzinfo=UTC)
OPEN = (CampaignStatus.SCHEDULED, CampaignStatus.DISPATCHING)


def _campaign(**overrides: object) -> Campaign:
    values: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "title": "Weekend bonus",
        "body": "Spin now",
        "channels": frozenset({Channel.INBOX, Channel.PUSH}),
        # no real player: PostgreSQL is shared with the API and e2e tests, whose dispatchers see these campaigns
        "target": Target(TargetKind.USER, f"nobody-{uuid.uuid4()}"),
        "scheduled_at": NOW,
        "created_by": "admin",
        "created_at": NOW,
    }
    values.update(overrides)
    return Campaign(**values)  # type: ignore[arg-type]


async def _given(uow_factory: UnitOfWorkFactory, campaign: Campaign) -> Campaign:
    async with uow_factory() as uow:
        await uow.campaigns.add(campaign)
        await uow.commit()
    return campaign


async def _given_users(uow_factory: UnitOfWorkFactory, count: int, **fields: object) -> list[str]:
    ids = []
    async with uow_factory() as uow:
        for _ in range(count):
            key = uuid.uuid4().hex
            user = User(id=str(uuid.uuid4()), site_id=f"u_{key[:20]}", nickname=f"N{key[:12]}",
                        password_hash="x", created_at=CREATED, email=f"{key[:8]}@example.test")  # fmt: skip
            for name, value in fields.items():
                setattr(user, name, value)
            await uow.users.add(user)
            ids.append(user.id)
        await uow.commit()
    return sorted(ids)


async def test_a_campaign_reads_back_whole_and_lists_newest_first(uow_factory: UnitOfWorkFactory) -> None:
    older = await _given(uow_factory, _campaign(created_at=NOW - timedelta(minutes=1)))
    newer = await _given(uow_factory, _campaign(target=Target(TargetKind.EVERYONE)))

    async with uow_factory() as sut:
        assert await sut.campaigns.get(older.id) == older
        page = await sut.campaigns.list(100, None)

    ids = [campaign.id for campaign in page.items]
    assert ids.index(newer.id) < ids.index(older.id)


async def test_transitions_happen_only_from_the_given_statuses(uow_factory: UnitOfWorkFactory) -> None:
    campaign = await _given(uow_factory, _campaign())

    async with uow_factory() as sut:
        assert (
            await sut.campaigns.transition(campaign.id, [CampaignStatus.DISPATCHING], CampaignStatus.DONE, NOW) is False
        )
        assert await sut.campaigns.transition(campaign.id, OPEN, CampaignStatus.CANCELLED, NOW) is True
        assert await sut.campaigns.transition(campaign.id, OPEN, CampaignStatus.CANCELLED, NOW) is False
        await sut.commit()
    async with uow_factory() as sut:
        stored = await sut.campaigns.get(campaign.id)

    assert stored is not None
    assert (stored.status, stored.finished_at) == (CampaignStatus.CANCELLED, NOW)


async def test_only_open_campaigns_whose_time_has_come_are_due(uow_factory: UnitOfWorkFactory) -> None:
    past = NOW - timedelta(days=3650)
    due = await _given(uow_factory, _campaign(scheduled_at=past))
    later = await _given(uow_factory, _campaign(scheduled_at=past + timedelta(days=1)))
    done = await _given(uow_factory, _campaign(scheduled_at=past))
    async with uow_factory() as uow:
        await uow.campaigns.transition(done.id, OPEN, CampaignStatus.DONE, NOW)
        await uow.commit()

    async with uow_factory() as sut:
        ids = await sut.campaigns.due(past + timedelta(hours=1), 1000)

    assert due.id in ids
    assert later.id not in ids
    assert done.id not in ids


async def test_a_delivery_is_claimed_once(uow_factory: UnitOfWorkFactory) -> None:
    campaign = await _given(uow_factory, _campaign())

    async with uow_factory() as sut:
        first = await sut.campaigns.claim_delivery(campaign.id, "player-1", NOW)
        second = await sut.campaigns.claim_delivery(campaign.id, "player-1", NOW)
        other = await sut.campaigns.claim_delivery(campaign.id, "player-2", NOW)
        await sut.commit()
    async with uow_factory() as sut:
        later = await sut.campaigns.claim_delivery(campaign.id, "player-1", NOW)

    assert (first, second, other, later) == (True, False, True, False)


async def test_an_uncommitted_claim_is_no_claim(uow_factory: UnitOfWorkFactory) -> None:
    campaign = await _given(uow_factory, _campaign())
    async with uow_factory() as sut:
        assert await sut.campaigns.claim_delivery(campaign.id, "player-1", NOW)
    async with uow_factory() as sut:
        assert await sut.campaigns.claim_delivery(campaign.id, "player-1", NOW)


async def test_concurrent_claimers_split_the_players_without_overlap(uow_factory: UnitOfWorkFactory) -> None:
    campaign = await _given(uow_factory, _campaign())
    players = [f"player-{index:03d}" for index in range(40)]

    async def claimer(hold: Hold) -> list[str]:
        async with uow_factory() as uow:
            won = [player for player in players if await uow.campaigns.claim_delivery(campaign.id, player, NOW)]
            await uow.campaigns.add_progress(campaign.id, len(won), 0)
            await hold(uow)  # the claims stay uncommitted until the other claimers wait for them
            await uow.commit()
        return won

    results = await contend(*[claimer] * 3)
    async with uow_factory() as uow:
        stored = await uow.campaigns.get(campaign.id)

    assert sorted(player for won in results for player in won) == players
    assert stored is not None
    assert stored.sent == len(players)


async def test_progress_counters_add_up(uow_factory: UnitOfWorkFactory) -> None:
    campaign = await _given(uow_factory, _campaign())
    async with uow_factory() as sut:
        await sut.campaigns.set_targeted(campaign.id, 7)
        await sut.campaigns.add_progress(campaign.id, 3, 1)
        await sut.campaigns.add_progress(campaign.id, 2, 0)
        await sut.commit()
    async with uow_factory() as sut:
        stored = await sut.campaigns.get(campaign.id)

    assert stored is not None
    assert (stored.targeted, stored.sent, stored.failed) == (7, 5, 1)


async def test_audiences_select_active_players_by_target_in_id_order(uow_factory: UnitOfWorkFactory) -> None:
    tier = random.randint(10_000, 10**9)
    members = await _given_users(uow_factory, 3, vip_tier=tier, rank=Rank.VIP)
    await _given_users(uow_factory, 1, vip_tier=tier, status=AccountStatus.BANNED)
    await _given_users(uow_factory, 1, vip_tier=tier, deleted_at=NOW)
    target = Target(TargetKind.VIP_TIER, str(tier))

    async with uow_factory() as sut:
        first = await sut.audience.members(target, None, 2)
        rest = await sut.audience.members(target, first[-1].user_id, 2)
        count = await sut.audience.count(target)
        one = await sut.audience.members(Target(TargetKind.USER, members[1]), None, 10)
        vips = await sut.audience.members(Target(TargetKind.RANK, "VIP"), None, 100_000)
        everyone = await sut.audience.count(Target(TargetKind.EVERYONE))

    assert [member.user_id for member in first + rest] == members
    assert count == 3
    assert [member.user_id for member in one] == [members[1]]
    assert one[0].email is not None
    assert one[0].nickname.startswith("N")
    assert set(members) <= {member.user_id for member in vips}
    assert everyone >= 3
