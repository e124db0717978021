"""Game refusals: a config an admin cannot publish, a bet or pull a player cannot make."""

from __future__ import annotations

from src.domain.shared.errors import InvalidInput

FieldProblem = tuple[str, str]


class InvalidGameConfig(InvalidInput):
    default_message = "the game configuration is not valid"

    @classmethod
    def of(cls, problems: list[FieldProblem]) -> InvalidGameConfig:
        """One refusal naming every offending field, so an admin fixes them all at once."""
        fields = [{"key": key, "message": message, "source": "body"} for key, message in problems]
        return cls(problems[0][1] if len(problems) == 1 else None, details={"fields": fields})


class InvalidPlay(InvalidInput):
    default_message = "the play is not valid"

    @classmethod
    def field(cls, key: str, message: str) -> InvalidPlay:
        return cls(message, details={"fields": [{"key": key, "message": message, "source": "body"}]})
