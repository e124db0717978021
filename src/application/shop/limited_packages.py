"""Limited packages: admins upsert them and flip the kill switch (audit-logged); players see stock and their own
purchases. Buying is the purchase flow's (purchases.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from src.application.shared.audit import Audited, write_audit
from src.application.shared.commands import AdminAction, ClientInfo
from src.application.shared.ports import Clock, IdGenerator, UnitOfWork
from src.application.shop.ports import LimitedPackageRepository
from src.domain.shared.errors import NotFound
from src.domain.shared.principal import Principal
from src.domain.shop.limited import LimitedPackage


class LimitedUnitOfWork(UnitOfWork, Audited, Protocol):
    @property
    def limited(self) -> LimitedPackageRepository: ...


class LimitedDeps(Protocol):
    """Satisfied by PurchaseDeps; only what these use cases need."""

    @property
    def uow_factory(self) -> Callable[[], LimitedUnitOfWork]: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def ids(self) -> IdGenerator: ...


@dataclass(frozen=True)
class PlayerPackage:
    """A package as one player sees it now."""

    package: LimitedPackage
    user_purchased: int  # captured plus in flight
    on_sale: bool  # enabled and inside its window


async def player_catalog(user_id: str, deps: LimitedDeps) -> list[PlayerPackage]:
    """Enabled packages that have not ended (upcoming ones included, so clients can count down)."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        packages = [package for package in await uow.limited.list() if package.enabled and now <= package.ends_at]
        bought = [await uow.limited.purchased_by(package.package_id, user_id) for package in packages]
    return [
        PlayerPackage(package, purchased, package.starts_at <= now)
        for package, purchased in zip(packages, bought, strict=True)
    ]


async def list_packages(deps: LimitedDeps) -> list[LimitedPackage]:
    """Every package, disabled and ended ones included (the admin view)."""
    async with deps.uow_factory() as uow:
        return await uow.limited.list()


@dataclass(frozen=True)
class UpsertLimitedPackage:
    admin: Principal
    client: ClientInfo
    package: LimitedPackage  # sold and held are ignored: they belong to purchases
    enabled: bool | None = None  # None: a new package is enabled, an existing one keeps its switch


def _audit_payload(package: LimitedPackage) -> dict[str, Any]:
    return {
        "name": package.name,
        "price_cents": package.price_cents,
        "currency": package.currency,
        "gems": package.gems,
        "min_rank": package.min_rank.value,
        "starts_at": package.starts_at.isoformat(),
        "ends_at": package.ends_at.isoformat(),
        "max_global_stock": package.max_global_stock,
        "per_user_limit": package.per_user_limit,
        "enabled": package.enabled,
    }


async def upsert_package(cmd: UpsertLimitedPackage, deps: LimitedDeps) -> LimitedPackage:
    """Create or change a package; the stock may not drop below what is sold or held (VALIDATION_ERROR)."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        current = await uow.limited.get(cmd.package.package_id)
        enabled = cmd.enabled if cmd.enabled is not None else current is None or current.enabled
        stored = await uow.limited.upsert(replace(cmd.package, enabled=enabled), now)
        payload = {**_audit_payload(stored), "created": current is None}
        action = AdminAction(
            cmd.admin, cmd.client, "limited_package.upsert", "limited_package", stored.package_id, payload
        )
        await write_audit(uow, action, deps.ids, now)
        await uow.commit()
    return stored


@dataclass(frozen=True)
class SwitchLimitedPackage:
    admin: Principal
    client: ClientInfo
    package_id: str
    enabled: bool


async def switch_package(cmd: SwitchLimitedPackage, deps: LimitedDeps) -> LimitedPackage:
    """The kill switch: a disabled package refuses new purchases (DISABLED); holds in flight still settle."""
    now = deps.clock.now()
    async with deps.uow_factory() as uow:
        package = await uow.limited.set_enabled(cmd.package_id, cmd.enabled, now)
        if package is None:
            raise NotFound("no such limited package", details={"package_id": cmd.package_id})
        action_name = "limited_package.enable" if cmd.enabled else "limited_package.disable"
        action = AdminAction(cmd.admin, cmd.client, action_name, "limited_package", package.package_id, {})
        await write_audit(uow, action, deps.ids, now)
        await uow.commit()
    return package
