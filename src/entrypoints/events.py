"""Who consumes each domain event in process, in one table: the composition root builds the outbox relay's map
from `SUBSCRIBERS` once the container exists. Every consumer is idempotent by event id.

Order matters within an event type (a signup is credited before its welcome email goes), and batch consumers are
handed a pass's events in table order (leaderboards, then the counters of play (VIP totals and upgrades, battle pass
XP, season scores, mission and achievement progress), then VIP history, then the realtime fan-out).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from src.application.engagement.plays import PLAY_EVENTS, count_plays
from src.application.engagement.vip_benefits import HISTORY_EVENTS, record_tier_changes
from src.application.games.boards import apply_plays
from src.application.notifications.email import send_welcomes
from src.application.notifications.reactions import notify_purchases, notify_rewards
from src.application.realtime.events import TRANSLATIONS, publish_events
from src.application.shared.outbox import BatchSubscriber, OutboxMessage, Subscription
from src.application.wallet.handlers import credit_signup_bonuses
from src.domain.privacy.events import PlayerErased
from src.entrypoints.container import Container

Build = Callable[[Container], Subscription]


@dataclass(frozen=True)
class Subscribe:
    """`build(container)` makes the one consumer that receives every event of `events`."""

    name: str
    events: tuple[str, ...]
    build: Build


def each(handle: Callable[[OutboxMessage, Container], Awaitable[object]]) -> Build:
    """A consumer called once per event."""

    def build(container: Container) -> Subscription:
        async def consume(message: OutboxMessage) -> None:
            await handle(message, container)

        return consume

    return build


def batch(handle: Callable[[Sequence[OutboxMessage], Container], Awaitable[object]]) -> Build:
    """A consumer handed a whole relay pass's events of its types at once (see BatchSubscriber)."""

    def build(container: Container) -> Subscription:
        async def consume(messages: Sequence[OutboxMessage]) -> None:
            await handle(messages, container)

        return BatchSubscriber(consume)

    return build


SUBSCRIBERS: tuple[Subscribe, ...] = (
    Subscribe("signup_bonus", ("UserSignedUp",), batch(lambda ms, c: credit_signup_bonuses(ms, c.wallet))),
    Subscribe(
        "leaderboards", ("SpinSettled", "GachaPulled"), batch(lambda ms, c: apply_plays(ms, c.games.leaderboard))
    ),
    Subscribe(
        "welcome_email",
        ("UserSignedUp",),
        batch(lambda ms, c: send_welcomes([m.aggregate_id for m in ms], c.notifications)),
    ),
    Subscribe("reward_notification", ("RewardGranted",), batch(lambda ms, c: notify_rewards(ms, c.notifications))),
    Subscribe(
        "purchase_notification", ("PurchaseUpdated",), batch(lambda ms, c: notify_purchases(ms, c.notifications))
    ),
    # season scores, battle pass XP, mission and achievement progress and VIP totals: one transaction a pass, one
    # once-only key per event for the four (plays.py)
    Subscribe("plays", PLAY_EVENTS, batch(lambda ms, c: count_plays(ms, c.plays))),
    Subscribe("vip_history", HISTORY_EVENTS, batch(lambda ms, c: record_tier_changes(ms, c.engagement))),
    Subscribe("realtime", tuple(TRANSLATIONS), batch(lambda ms, c: publish_events(ms, c.realtime.publisher))),
    # after every earlier event of an erased player (the relay keeps commit order): a late score is taken off the
    # boards again, and their realtime stream (messages kept for a resume) goes
    Subscribe(
        "erased_off_boards",
        (PlayerErased.event_type,),
        each(lambda m, c: c.games.leaderboard.remove_player(m.aggregate_id)),
    ),
    Subscribe("erased_stream", (PlayerErased.event_type,), each(lambda m, c: c.realtime.forget_user(m.aggregate_id))),
)


def subscriber_map(container: Container) -> dict[str, list[Subscription]]:
    """The relay's map, event type → consumers, in table order."""
    subscribers: dict[str, list[Subscription]] = {}
    for row in SUBSCRIBERS:
        consumer = row.build(container)
        for event_type in row.events:
            subscribers.setdefault(event_type, []).append(consumer)
    return subscribers
