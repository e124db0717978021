"""A target must name something that exists when it is given (a segment's members are read when it is sent)."""

from __future__ import annotations

from src.application.notifications.ports import AudienceRepository
from src.domain.notifications.audience import Target, TargetKind
from src.domain.notifications.model import field_error


async def check_target(audience: AudienceRepository, target: Target, key: str = "target") -> None:
    """A segment target naming no segment is a 400 (VALIDATION_ERROR on `key`)."""
    if target.kind is TargetKind.SEGMENT and not await audience.has_segment(str(target.value)):
        raise field_error(key, f"no segment named {target.value!r}")
