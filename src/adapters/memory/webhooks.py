"""In-memory webhook log (unit-test twin of the SQL one; same contract)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from src.adapters.memory.identity import Workspace, newest_first_page
from src.application.shared.pagination import Page, Position
from src.application.shop.ports import WebhookRequest


@dataclass(frozen=True)
class GatewayEventSeen:
    event_id: str
    event_type: str
    charge_id: str | None
    processed_at: datetime


@dataclass
class WebhookTables:
    requests: dict[str, WebhookRequest] = field(default_factory=dict)
    events: dict[str, GatewayEventSeen] = field(default_factory=dict)
    arrivals: dict[str, datetime] = field(default_factory=dict)


class InMemoryWebhookLog:
    def __init__(self, workspace: Workspace[WebhookTables]) -> None:
        self._workspace = workspace

    async def record_request(
        self, received_at: datetime, signature: str | None, raw_body: bytes, verdict: str, event_id: str | None
    ) -> str:
        request = WebhookRequest(str(uuid.uuid4()), received_at, signature, bytes(raw_body), verdict, event_id)
        self._workspace.working.requests[request.id] = request
        return request.id

    async def list_requests(
        self, limit: int, after: Position | None, event_id: str | None = None
    ) -> Page[WebhookRequest]:
        rows = [
            row for row in self._workspace.working.requests.values() if event_id is None or row.event_id == event_id
        ]
        return newest_first_page(rows, lambda row: (row.received_at, row.id), limit, after)

    async def first_arrival(self, signed_key: str, now: datetime) -> bool:
        await self._workspace.lock_row("arrivals", signed_key)
        if signed_key in self._workspace.working.arrivals:
            return False
        self._workspace.working.arrivals[signed_key] = now
        return True

    async def forget_arrivals_before(self, cutoff: datetime) -> int:
        """Deleted in the shared store at once (a commit only publishes added or changed rows); a rollback puts
        them back."""
        async with self._workspace.lock:
            committed = self._workspace.committed.arrivals
            old = {
                key: at for key, at in committed.items() if at < cutoff and not self._workspace.holds("arrivals", key)
            }
            for key in old:
                del committed[key]
                self._workspace.working.arrivals.pop(key, None)
                self._workspace.baseline.arrivals.pop(key, None)
            self._workspace.undo.append(lambda: committed.update(old))
        return len(old)

    async def first_delivery(self, event_id: str, event_type: str, charge_id: str | None, now: datetime) -> bool:
        """The row lock makes a concurrent delivery wait for the first to end, as the primary key does in SQL."""
        await self._workspace.lock_row("events", event_id)
        if event_id in self._workspace.working.events:
            return False
        self._workspace.working.events[event_id] = GatewayEventSeen(event_id, event_type, charge_id, now)
        return True
