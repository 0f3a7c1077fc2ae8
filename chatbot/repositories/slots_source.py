"""SQL for the slot engine's day inputs: everything that takes a dentist's time, in start
order (so a search can split it into local days lazily), and the outbox head the action
server compares with its listener before trusting its slot cache."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from sqlalchemy import Connection, text


class TimeRow(NamedTuple):
    """An availability exception (`kind` 'off' / 'extra') or busy time (`kind` 'busy': a live
    appointment or hold incl. its buffer, with the hold's expiry and the appointment id)."""

    dentist_id: int
    kind: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    expires_at: dt.datetime | None
    appointment_id: int | None


def iter_time_rows(
    conn: Connection,
    dentist_ids: Sequence[int],
    start: dt.datetime,
    end: dt.datetime,
    *,
    exclude_appointment_id: int | None = None,
) -> Iterator[TimeRow]:
    """Exceptions and live busy time of these dentists overlapping [start, end), ordered by
    start, in one query (without the appointment being moved, when given). Rows are converted
    as they are consumed (a search that stops after a few days does not pay for the rest);
    consume them inside the transaction."""
    result = conn.execute(
        text(
            "SELECT dentist_id, kind, starts_at, ends_at, NULL::timestamptz, NULL::bigint"
            " FROM availability_exception"
            " WHERE dentist_id = ANY(:ids) AND starts_at < :end AND ends_at > :start"
            " UNION ALL"
            " SELECT dentist_id, 'busy', starts_at, blocks_until,"
            "  CASE WHEN status = 'held' THEN hold_expires_at END, id"
            " FROM appointment"
            " WHERE dentist_id = ANY(:ids) AND starts_at < :end AND blocks_until > :start"
            " AND status NOT IN ('cancelled', 'expired') AND id IS DISTINCT FROM :skip"
            " ORDER BY 3"
        ),
        {"ids": list(dentist_ids), "start": start, "end": end, "skip": exclude_appointment_id},
    )
    return (TimeRow._make(r) for r in result)


def outbox_head(conn: Connection) -> int:
    """The newest committed outbox id (0 when empty)."""
    return int(conn.execute(text("SELECT coalesce(max(id), 0) FROM sync_event")).scalar_one())
