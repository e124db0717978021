"""Streak and VIP refusals, with the contract's codes (all 409)."""

from __future__ import annotations

from src.domain.shared.errors import DomainError


class StreakAlreadyTicked(DomainError):
    code = "ALREADY_CLAIMED"
    default_message = "today's streak reward was already claimed"


class NoStreakShield(DomainError):
    code = "NOT_CLAIMABLE"
    default_message = "you have no streak shield to protect your streak with"


class StreakAlreadyProtected(DomainError):
    code = "ALREADY_APPLIED"
    default_message = "your streak is already protected"


class NoDailyBonus(DomainError):
    code = "NOT_CLAIMABLE"
    default_message = "your VIP tier has no daily bonus"


class DailyBonusClaimed(DomainError):
    code = "ALREADY_CLAIMED"
    default_message = "today's VIP bonus was already claimed"


class NotClaimable(DomainError):
    code = "NOT_CLAIMABLE"
    default_message = "this is not completed yet"


class AlreadyClaimed(DomainError):
    code = "ALREADY_CLAIMED"
    default_message = "this reward was already claimed"


class DefinitionExists(DomainError):
    code = "DEFINITION_EXISTS"
    default_message = "a definition with this id exists"
