"""Admin limited packages: upsert, the kill switch, the list with sold and held stock (audit-logged)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from src.application.shop.deps import PurchaseDeps
from src.application.shop.limited_packages import (
    SwitchLimitedPackage,
    UpsertLimitedPackage,
    list_packages,
    switch_package,
    upsert_package,
)
from src.domain.shared.principal import Principal
from src.entrypoints.http.schemas.limited import AdminLimitedPackageOut, LimitedPackageIn
from src.entrypoints.http.security import client_info
from src.entrypoints.http.shop import PURCHASES

PrincipalRequest = Request[Principal, Any, Any]


class AdminLimitedPackageController(Controller):
    path = "/limited-packages"
    tags = ["admin"]  # noqa: RUF012
    dependencies = PURCHASES

    @get("/", operation_id="admin_limited_packages")
    async def packages(self, purchases: NamedDependency[PurchaseDeps]) -> list[AdminLimitedPackageOut]:
        """Every package, disabled and ended ones included."""
        return [AdminLimitedPackageOut.of(package) for package in await list_packages(purchases)]

    @post("/upsert", operation_id="admin_upsert_limited_package", status_code=HTTP_200_OK)
    async def upsert(
        self, request: PrincipalRequest, data: JSONBody[LimitedPackageIn], purchases: NamedDependency[PurchaseDeps]
    ) -> AdminLimitedPackageOut:
        """Create or change a package; sold and held stay; stock below sold + held → 400."""
        enabled = None if data.enabled is msgspec.UNSET else data.enabled
        command = UpsertLimitedPackage(request.user, client_info(request), data.package(), enabled)
        return AdminLimitedPackageOut.of(await upsert_package(command, purchases))

    @post("/{package_id:str}/disable", operation_id="admin_disable_limited_package", status_code=HTTP_200_OK)
    async def disable(
        self, request: PrincipalRequest, package_id: FromPath[str], purchases: NamedDependency[PurchaseDeps]
    ) -> AdminLimitedPackageOut:
        """The kill switch: new purchases answer 403 DISABLED."""
        return await self._switch(request, package_id, False, purchases)

    @post("/{package_id:str}/enable", operation_id="admin_enable_limited_package", status_code=HTTP_200_OK)
    async def enable(
        self, request: PrincipalRequest, package_id: FromPath[str], purchases: NamedDependency[PurchaseDeps]
    ) -> AdminLimitedPackageOut:
        return await self._switch(request, package_id, True, purchases)

    async def _switch(
        self, request: PrincipalRequest, package_id: str, enabled: bool, purchases: PurchaseDeps
    ) -> AdminLimitedPackageOut:
        command = SwitchLimitedPackage(request.user, client_info(request), package_id, enabled)
        return AdminLimitedPackageOut.of(await switch_package(command, purchases))
