"""The operators' LiveOps routes (/api/admin/segments*, /api/admin/experiments*): each feature's controller lives
in its own module (admin/segments.py, admin/experiments.py) and is listed here once for the admin router."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from src.entrypoints.http.admin.experiments import AdminExperimentController
from src.entrypoints.http.admin.segments import AdminSegmentController


def admin_liveops_handlers() -> list[ControllerRouterHandler]:
    return [AdminSegmentController, AdminExperimentController]
