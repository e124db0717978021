"""Reward use cases: grant (by an admin over HTTP, or server-internal from any context or job) and list.

A grant is one transaction: the reward row, its effect (ONE wallet ledger row for COIN/GEM, referenced by the
reward id, or the items added to the games inventory for ITEM), the RewardGranted (and BalanceChanged) events
and, for an admin, the audit entry. A grant with a `key` has a reward id derived from (granter, key): the
same key always names the same reward, so a retry (after the HTTP idempotency record expired, or a job that
runs twice) returns the first grant and never applies twice; the same key with another reward is refused
(IDEMPOTENCY_KEY_REUSED).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from src.application.engagement.deps import RewardDeps
from src.application.engagement.ports import EngagementUnitOfWork
from src.application.shared.audit import write_audit
from src.application.shared.commands import AdminAction, ClientInfo
from src.application.shared.idempotency import IdempotencyKeyReused, KeyRecorder
from src.application.shared.pagination import Page, check_limit, decode_cursor
from src.application.wallet.ledger import Grant, credit
from src.domain.engagement.rewards import Reward, RewardRequest, new_reward
from src.domain.shared.errors import Forbidden, NotFound
from src.domain.shared.principal import Principal
from src.domain.wallet.events import RewardGranted
from src.domain.wallet.model import LedgerEntry, Movement, balances_of

REWARD_REASON = "reward"
REWARD_REF_TYPE = "reward"
ITEM_CURRENCY = "item"  # RewardGranted.currency of an item reward
SERVER_GRANTER = "server"
_REWARD_IDS = uuid.UUID("0b5f6f0e-8f7c-4c1e-9d3a-6a2f3c5e7b21")  # namespace of reward ids derived from keys


@dataclass(frozen=True)
class GrantReward:
    """`admin` None: a server-internal grant (granted_by null, no audit entry)."""

    request: RewardRequest
    key: str | None = None
    admin: Principal | None = None
    client: ClientInfo | None = None


@dataclass(frozen=True)
class GrantedReward:
    reward: Reward
    balances: dict[str, int]  # the player's wallet after the grant
    entry: LedgerEntry | None = None  # the ledger row of a COIN/GEM reward


def reward_id_for(granted_by: str | None, key: str | None) -> str:
    """Derived from (granter, key) when a key is given, so a repeated grant finds the first one; else random."""
    if key is None:
        return f"rw_{uuid.uuid4().hex}"
    return f"rw_{uuid.uuid5(_REWARD_IDS, f'{granted_by or SERVER_GRANTER}:{key}').hex}"


def _granted(reward: Reward, currency: str) -> RewardGranted:
    item = reward.item
    return RewardGranted(
        aggregate_id=reward.user_id,
        occurred_at=reward.awarded_at,
        currency=currency,
        amount=reward.amount,
        source=reward.source,
        granted_by=reward.granted_by,
        reward_id=reward.reward_id,
        reward_type=reward.reward_type.value,
        item_id=None if item is None else item.item_id,
        item_name=None if item is None else item.name,
    )


def _movement(reward: Reward) -> Movement | None:
    """The ledger movement of a COIN/GEM reward, referenced by the reward id; None for an item."""
    if (currency := reward.currency) is None:
        return None
    return Movement(reward.user_id, currency, reward.amount, REWARD_REASON, REWARD_REF_TYPE, reward.reward_id)


async def _apply(uow: EngagementUnitOfWork, reward: Reward) -> LedgerEntry | None:
    """The reward's effect and its events: one ledger row (returned), or the items."""
    if (movement := _movement(reward)) is not None:
        grant = Grant(reward.source, reward.granted_by, reward.reward_id, reward.reward_type.value)
        return await credit(uow, movement, reward.awarded_at, grant)
    item = reward.item
    if item is not None:
        units = [(item.item_id, item.name, item.rarity)] * reward.amount
        await uow.inventory.add(reward.user_id, units, reward.awarded_at)
        uow.record(_granted(reward, ITEM_CURRENCY))
    return None


def _same_grant(stored: Reward | None, asked: Reward) -> Reward:
    """A repeated key: the first grant, if it asked for the same thing (its time and id are the first's)."""
    if stored is None or replace(asked, awarded_at=stored.awarded_at) != stored:
        raise IdempotencyKeyReused("this key already granted a different reward")
    return stored


async def _audit(uow: EngagementUnitOfWork, cmd: GrantReward, reward: Reward, deps: RewardDeps) -> None:
    if cmd.admin is None:
        return
    payload = {
        "reward_id": reward.reward_id,
        "reward_type": reward.reward_type.value,
        "amount": reward.amount,
        "item_id": reward.item_id,
        "source": reward.source,
    }
    action = AdminAction(cmd.admin, cmd.client or ClientInfo(), "reward.grant", "user", reward.user_id, payload)
    await write_audit(uow, action, deps.ids, reward.awarded_at)


async def grant_reward(
    cmd: GrantReward, deps: RewardDeps, recorder: KeyRecorder[GrantedReward] | None = None
) -> GrantedReward:
    """Validate (400 naming the field), find the player (404, a deleted account too), then record and apply the
    reward in one transaction; a repeated key returns the first grant unchanged. `recorder`: the key's answer,
    written last in that transaction."""
    granted_by = None if cmd.admin is None else cmd.admin.user_id
    reward = new_reward(cmd.request, reward_id_for(granted_by, cmd.key), granted_by, deps.clock.now())
    async with deps.uow_factory() as uow:
        if recorder is not None:
            await recorder.hold(uow.idempotency_records)
        user = await uow.users.get(reward.user_id)
        if user is None or user.deleted_at is not None:
            raise NotFound("no such user")
        if await uow.rewards.add(reward):
            entry = await _apply(uow, reward)
            await _audit(uow, cmd, reward, deps)
        else:
            reward = _same_grant(await uow.rewards.get(reward.reward_id), reward)
            movement = _movement(reward)
            entry = None if movement is None else await uow.wallets.entry_for(movement)
        granted = GrantedReward(reward, balances_of(await uow.wallets.balances(reward.user_id)), entry)
        if recorder is not None:
            await recorder.record(uow.idempotency_records, granted)
        await uow.commit()
    return granted


async def list_rewards(
    viewer: Principal, user_id: str, limit: int | None, cursor: str | None, deps: RewardDeps
) -> Page[Reward]:
    """A player reads only their own rewards (403 otherwise), an admin anyone's (404 for an unknown id)."""
    if not viewer.is_admin and viewer.user_id != user_id:
        raise Forbidden("you may only read your own rewards")
    size, after = check_limit(limit), decode_cursor(cursor)
    async with deps.uow_factory() as uow:
        if await uow.users.get(user_id) is None:
            raise NotFound("no such user")
        return await uow.rewards.list_for(user_id, size, after)
