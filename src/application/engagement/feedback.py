"""Feedback use case: read the player's context (recent plays through the games' use case, the streak and the
latest VIP raise from engagement), choose the situation and the variant, and answer in the asked language."""

from __future__ import annotations

from dataclasses import dataclass

from src.application.engagement.deps import EngagementDeps
from src.application.games.deps import GamesDeps
from src.application.games.history import recent_plays
from src.domain.engagement.feedback import (
    RECENT_PLAYS,
    PlayerContext,
    RecentPlay,
    Situation,
    parse_request,
    situation_of,
    variant_index,
)
from src.domain.engagement.feedback_messages import MESSAGES
from src.domain.engagement.streak import current_count, local_day
from src.domain.games.play import PlayRecord


@dataclass(frozen=True)
class FeedbackDeps:
    engagement: EngagementDeps
    games: GamesDeps


@dataclass(frozen=True)
class Feedback:
    message: str
    emotion: str
    animation_key: str
    situation: Situation
    language: str


def _recent(play: PlayRecord) -> RecentPlay:
    reels = play.result_meta.get("reels")
    shown = tuple(str(symbol) for symbol in reels) if isinstance(reels, list) else ()
    return RecentPlay(play.id, play.bet, play.payout, play.won, shown)


async def player_context(user_id: str, deps: FeedbackDeps) -> PlayerContext:
    now = deps.engagement.clock.now()
    plays = await recent_plays(user_id, RECENT_PLAYS, deps.games)
    async with deps.engagement.uow_factory() as uow:
        streak = await uow.streaks.get(user_id)
        changes = await uow.vip_history.list_for(user_id, 1, None)
    raises = [change.changed_at for change in changes.items if (change.from_tier or 0) < change.to_tier]
    count = current_count(streak, local_day(now, deps.engagement.timezone))
    return PlayerContext([_recent(play) for play in plays], count, raises[0] if raises else None, now)


async def feedback_for(
    user_id: str, action_type: str | None, outcome: str | None, language: str, deps: FeedbackDeps
) -> Feedback:
    """400 for an unknown action_type or outcome; otherwise always an answer (WELCOME when nothing else holds)."""
    action, result = parse_request(action_type, outcome)
    context = await player_context(user_id, deps)
    situation = situation_of(action, result, context)
    variants = MESSAGES[situation]
    chosen = variants[variant_index(situation, context, len(variants))]
    return Feedback(chosen.text(language), chosen.emotion, chosen.animation_key, situation, language)
