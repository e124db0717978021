"""The players' LiveOps routes (/api/recommend, /api/abtest): each feature's controller lives in its own module and
is listed here once, so app.py registers them all."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from src.entrypoints.http.abtest import AbTestController
from src.entrypoints.http.recommend import RecommendationController


def liveops_handlers() -> list[ControllerRouterHandler]:
    return [AbTestController, RecommendationController]
