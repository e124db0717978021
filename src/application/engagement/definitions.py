"""Operators' use cases over mission and achievement definitions: list, create, change (disable is a change of
`enabled`). Each is validated as a whole, audited in its own transaction, and counted from the next relay pass
(the progress engine reads the definitions at the start of each pass)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from src.application.engagement.deps import MissionDeps
from src.application.engagement.ports import MissionsUnitOfWork
from src.application.shared.audit import write_audit
from src.application.shared.commands import AdminAction, ClientInfo
from src.domain.engagement.achievements import AchievementDefinition, check_category, check_precondition
from src.domain.engagement.missions import (
    MissionDefinition,
    Prize,
    check_definition_id,
    check_period,
    check_title,
    prize,
)
from src.domain.engagement.progress import Counter, check_target, counter, field_error
from src.domain.shared.errors import NotFound
from src.domain.shared.principal import Principal

MAX_POSITION = 1_000_000


@dataclass(frozen=True)
class SaveDefinition:
    """`fields`: everything for a create; only what changes for an update (`reward` replaces the whole prize)."""

    admin: Principal
    client: ClientInfo
    fields: dict[str, Any]
    definition_id: str | None = None  # the one to change; None to create


def _prize(value: dict[str, Any]) -> Prize:
    return prize(value.get("coins") or 0, value.get("gems") or 0, value.get("item_id"))


def _counter(fields: dict[str, Any]) -> Counter:
    return counter(fields["metric"], fields.get("operator") or "add", fields.get("rarity"))


def _position(value: int) -> int:
    if not 0 <= value <= MAX_POSITION:
        raise field_error("position", f"position must be 0-{MAX_POSITION:,}")
    return value


def _common(definition: MissionDefinition | AchievementDefinition) -> dict[str, Any]:
    prize_fields = {"coins": definition.prize.coins, "gems": definition.prize.gems, "item_id": definition.prize.item_id}
    return {"title": definition.title, "metric": definition.counter.metric.value,
            "operator": definition.counter.operator.value, "rarity": definition.counter.rarity,
            "target": definition.target, "reward": prize_fields, "enabled": definition.enabled,
            "position": definition.position}  # fmt: skip


def mission_fields(definition: MissionDefinition) -> dict[str, Any]:
    return {"mission_id": definition.mission_id, "period": definition.period.value, **_common(definition)}


def achievement_fields(definition: AchievementDefinition) -> dict[str, Any]:
    extra = {"category": definition.category, "hidden": definition.hidden, "auto_claim": definition.auto_claim,
             "precondition": definition.precondition}  # fmt: skip
    return {"achievement_id": definition.achievement_id, **extra, **_common(definition)}


def build_mission(fields: dict[str, Any]) -> MissionDefinition:
    return MissionDefinition(
        mission_id=check_definition_id(fields["mission_id"], "mission_id"),
        title=check_title(fields["title"]),
        period=check_period(fields["period"]),
        counter=_counter(fields),
        target=check_target(fields["target"]),
        prize=_prize(fields["reward"]),
        enabled=fields.get("enabled", True),
        position=_position(fields.get("position", 0)),
    )


def build_achievement(fields: dict[str, Any]) -> AchievementDefinition:
    precondition = fields.get("precondition")
    return AchievementDefinition(
        achievement_id=check_definition_id(fields["achievement_id"], "achievement_id"),
        title=check_title(fields["title"]),
        category=check_category(fields["category"]),
        counter=_counter(fields),
        target=check_target(fields["target"]),
        prize=_prize(fields["reward"]),
        hidden=fields.get("hidden", False),
        auto_claim=fields.get("auto_claim", False),
        precondition=None if precondition is None else check_definition_id(precondition, "precondition"),
        enabled=fields.get("enabled", True),
        position=_position(fields.get("position", 0)),
    )


async def _audit(uow: MissionsUnitOfWork, cmd: SaveDefinition, action: str, target: tuple[str, str],
                 payload: dict[str, Any], deps: MissionDeps, now: datetime) -> None:  # fmt: skip
    await write_audit(uow, AdminAction(cmd.admin, cmd.client, action, *target, payload), deps.ids, now)


async def list_mission_definitions(deps: MissionDeps) -> list[MissionDefinition]:
    async with deps.uow_factory() as uow:
        return await uow.definitions.missions()


async def get_mission_definition(mission_id: str, deps: MissionDeps) -> MissionDefinition:
    async with deps.uow_factory() as uow:
        found = await uow.definitions.mission(mission_id)
    if found is None:
        raise NotFound("no such mission")
    return found


async def save_mission(cmd: SaveDefinition, deps: MissionDeps) -> MissionDefinition:
    """Create (DEFINITION_EXISTS for a taken id) or change one mission, with its audit entry."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        if cmd.definition_id is None:
            definition = build_mission(cmd.fields)
            await uow.definitions.add_mission(definition, now)
            action = "mission.create"
        else:
            current = await uow.definitions.mission(cmd.definition_id)
            if current is None:
                raise NotFound("no such mission")
            definition = build_mission({**mission_fields(current), **cmd.fields, "mission_id": current.mission_id})
            await uow.definitions.save_mission(definition, now)
            action = "mission.update"
        payload = mission_fields(definition)
        await _audit(uow, cmd, action, ("mission", definition.mission_id), payload, deps, now)
        await uow.commit()
    return definition


async def list_achievement_definitions(deps: MissionDeps) -> list[AchievementDefinition]:
    async with deps.uow_factory() as uow:
        return await uow.definitions.achievements()


async def get_achievement_definition(achievement_id: str, deps: MissionDeps) -> AchievementDefinition:
    async with deps.uow_factory() as uow:
        found = await uow.definitions.achievement(achievement_id)
    if found is None:
        raise NotFound("no such achievement")
    return found


async def save_achievement(cmd: SaveDefinition, deps: MissionDeps) -> AchievementDefinition:
    """Create or change one achievement; its precondition must exist and close no cycle."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        stored = {a.achievement_id: a for a in await uow.definitions.achievements()}
        if cmd.definition_id is None:
            definition, action = build_achievement(cmd.fields), "achievement.create"
        else:
            current = stored.get(cmd.definition_id)
            if current is None:
                raise NotFound("no such achievement")
            fields = {**achievement_fields(current), **cmd.fields, "achievement_id": current.achievement_id}
            definition, action = build_achievement(fields), "achievement.update"
        preconditions = {key: value.precondition for key, value in stored.items()}
        check_precondition(definition.achievement_id, definition.precondition, preconditions)
        if cmd.definition_id is None:
            await uow.definitions.add_achievement(definition, now)
        else:
            await uow.definitions.save_achievement(definition, now)
        payload = achievement_fields(definition)
        await _audit(uow, cmd, action, ("achievement", definition.achievement_id), payload, deps, now)
        await uow.commit()
    return definition
