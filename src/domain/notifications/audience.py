"""Who an admin message or a campaign is for: one user, a rank, a VIP tier, or everyone."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from src.domain.notifications.model import field_error
from src.domain.shared.principal import Rank


class TargetKind(StrEnum):
    USER = "user"
    RANK = "rank"
    VIP_TIER = "vip_tier"
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

    @classmethod
    def parse(cls, kind: str, value: str | int | None) -> Target:
        try:
            target_kind = TargetKind(kind)
        except ValueError as exc:
            raise field_error("target", f"target type is one of {', '.join(TargetKind)}") from exc
        return cls(target_kind, None if value is None else str(value))

    @classmethod
    def segment(cls, segment: str) -> Target:
        """'everyone', 'rank:VIP' or 'vip_tier:2' (the email trigger's `segment`)."""
        if segment in ("everyone", "all"):
            return cls(TargetKind.EVERYONE)
        kind, _, value = segment.partition(":")
        if kind not in (TargetKind.RANK, TargetKind.VIP_TIER):
            raise field_error("segment", "segment is everyone, rank:<RANK> or vip_tier:<n>")
        return cls.parse(kind, value)

    def describe(self) -> dict[str, str | None]:
        return {"type": self.kind.value, "value": self.value}
