"""Query parameters that several routes share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from litestar.params import QueryParameter

From = Annotated[datetime | None, QueryParameter(name="from", description="at or after (RFC 3339; UTC if no offset)")]
To = Annotated[datetime | None, QueryParameter(name="to", description="before (RFC 3339; UTC if no offset)")]


def as_utc(moment: datetime | None) -> datetime | None:
    """A timestamp without an offset is read as UTC, the API's time zone (the database compares aware ones only)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
