"""Who an admin message or a campaign is for: one user, a rank, a VIP tier, a segment (LiveOps), or everyone."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from src.domain.notifications.model import field_error
from src.domain.shared.principal import Rank

SEGMENT_NAME_MAX = 64


class TargetKind(StrEnum):
    USER = "user"
    RANK = "rank"
    VIP_TIER = "vip_tier"
    SEGMENT = "segment"  # a LiveOps segment by name: its members at the last recompute, read when sent
    EVERYONE = "everyone"


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    value: str | None = None

    def __post_init__(self) -> None:
        if self.kind is TargetKind.EVERYONE:
            if self.value is not None:
                raise field_error("target", "everyone takes no value")
        elif not self.value:
            raise field_error("target", f"a {self.kind} target needs a value")
        elif self.kind is TargetKind.RANK and self.value not in tuple(Rank):
            raise field_error("target", f"rank is one of {', '.join(Rank)}")
        elif self.kind is TargetKind.VIP_TIER and not self.value.isdigit():
            raise field_error("target", "vip_tier is a whole number")
        elif self.kind is TargetKind.SEGMENT and len(self.value) > SEGMENT_NAME_MAX:
            raise field_error("target", f"a segment name is at most {SEGMENT_NAME_MAX} characters")

    @classmethod
    def parse(cls, kind: str, value: str | int | None) -> Target:
        try:
            target_kind = TargetKind(kind)
        except ValueError as exc:
            raise field_error("target", f"target type is one of {', '.join(TargetKind)}") from exc
        return cls(target_kind, None if value is None else str(value))

    @classmethod
    def segment(cls, segment: str) -> Target:
        """'everyone', 'rank:VIP', 'vip_tier:2', 'segment:<name>' or a segment's bare name (the email trigger's
        `segment`)."""
        if segment in ("everyone", "all"):
            return cls(TargetKind.EVERYONE)
        kind, colon, value = segment.partition(":")
        if not colon:
            return cls(TargetKind.SEGMENT, segment)
        if kind not in (TargetKind.RANK, TargetKind.VIP_TIER, TargetKind.SEGMENT):
            raise field_error("segment", "segment is everyone, rank:<RANK>, vip_tier:<n> or a segment's name")
        return cls.parse(kind, value)

    def describe(self) -> dict[str, str | None]:
        return {"type": self.kind.value, "value": self.value}
