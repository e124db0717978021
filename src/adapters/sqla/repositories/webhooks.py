"""SQL webhook log: the raw requests (audit), signed messages seen (replays) and event ids applied (duplicates)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from src.adapters.sqla.models.shop import GatewayEventRow, WebhookArrivalRow, WebhookRequestRow
from src.adapters.sqla.repositories.pagination import after_position, to_page
from src.adapters.sqla.repositories.wallet import dialect_insert
from src.application.shared.pagination import Page, Position
from src.application.shop.ports import WebhookRequest


def _request(row: WebhookRequestRow) -> WebhookRequest:
    return WebhookRequest(
        id=row.id,
        received_at=row.received_at,
        signature=row.signature,
        raw_body=row.raw_body,
        verdict=row.verdict,
        event_id=row.event_id,
    )


class SqlaWebhookLog:
    def __init__(self, session: AsyncSession) -> None:
        self._db = session

    async def record_request(
        self, received_at: datetime, signature: str | None, raw_body: bytes, verdict: str, event_id: str | None
    ) -> str:
        request_id = str(uuid.uuid4())
        self._db.add(
            WebhookRequestRow(
                id=request_id,
                received_at=received_at,
                signature=signature,
                raw_body=raw_body,
                verdict=verdict,
                event_id=event_id,
            )
        )
        await self._db.flush()
        return request_id

    async def list_requests(
        self, limit: int, after: Position | None, event_id: str | None = None
    ) -> Page[WebhookRequest]:
        statement = select(WebhookRequestRow)
        if event_id is not None:
            statement = statement.where(WebhookRequestRow.event_id == event_id)
        statement = after_position(statement, WebhookRequestRow.received_at, WebhookRequestRow.id, after)
        rows = (await self._db.execute(statement.limit(limit + 1))).scalars().all()
        return to_page(rows, limit, _request, lambda row: Position(row.received_at, row.id))

    async def first_arrival(self, signed_key: str, now: datetime) -> bool:
        statement = dialect_insert(self._db)(WebhookArrivalRow).values(signed_key=signed_key, received_at=now)
        result = await self._db.execute(statement.on_conflict_do_nothing(index_elements=[WebhookArrivalRow.signed_key]))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def forget_arrivals_before(self, cutoff: datetime) -> int:
        result = await self._db.execute(delete(WebhookArrivalRow).where(WebhookArrivalRow.received_at < cutoff))
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def first_delivery(self, event_id: str, event_type: str, charge_id: str | None, now: datetime) -> bool:
        """A concurrent delivery of the same id waits on the primary key until the first one commits or rolls
        back, so exactly one of them sees True."""
        statement = dialect_insert(self._db)(GatewayEventRow).values(
            event_id=event_id, event_type=event_type, charge_id=charge_id, processed_at=now
        )
        result = await self._db.execute(statement.on_conflict_do_nothing(index_elements=[GatewayEventRow.event_id]))
        return bool(result.rowcount)  # type: ignore[attr-defined]
