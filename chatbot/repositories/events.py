"""SQL for the outbox (`sync_event`, filled by the triggers of 0002_outbox.sql): rows after an
id, in id order, for the listener and for WebSocket replay; the head id and the lag."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from chatbot.auth import Principal
from chatbot.events import AVAILABILITY, Event
from chatbot.repositories.placeholders import for_psycopg

_AFTER = for_psycopg(
    "SELECT id, type, created_at, dentist_id, patient_id, data FROM sync_event WHERE id > :after"
)
_UPTO = for_psycopg(" AND id <= :upto")
_FOR_PATIENT = for_psycopg(" AND (patient_id = :patient_id OR type = :availability)")
_FOR_DENTIST = for_psycopg(" AND dentist_id = :dentist_id")
_PAGE = for_psycopg(" ORDER BY id LIMIT :limit")
_LAG = for_psycopg(
    "SELECT coalesce(max(id), 0),"
    " extract(epoch FROM clock_timestamp() - min(created_at) FILTER (WHERE id > :last_id))"
    " FROM sync_event"
)


def _event(row: dict[str, Any]) -> Event:
    return Event(
        id=row["id"],
        type=row["type"],
        occurred_at=row["created_at"],
        dentist_id=row["dentist_id"],
        patient_id=row["patient_id"],
        data=row["data"],
    )


def _role_filter(principal: Principal | None) -> tuple[str, dict[str, Any]]:
    """A SQL pre-filter so replay for a patient/dentist does not read everyone's rows
    (`view_for` still decides)."""
    if principal is None or principal.is_admin:
        return "", {}
    if principal.patient_scoped:
        return _FOR_PATIENT, {"patient_id": principal.patient_id, "availability": AVAILABILITY}
    return _FOR_DENTIST, {"dentist_id": principal.dentist_id}


async def fetch_after(
    conn: AsyncConnection[Any],
    after_id: int,
    *,
    limit: int = 500,
    upto: int | None = None,
    principal: Principal | None = None,
) -> list[Event]:
    """Events with after_id < id (<= upto), in id order, at most `limit`."""
    extra, params = _role_filter(principal)
    sql = _AFTER + (_UPTO if upto is not None else "") + extra + _PAGE
    params |= {"after": after_id, "upto": upto, "limit": limit}
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(sql, params)
        return [_event(r) for r in await cur.fetchall()]


async def max_event_id(conn: AsyncConnection[Any]) -> int:
    cur = await conn.execute("SELECT coalesce(max(id), 0) FROM sync_event")
    row = await cur.fetchone()
    return int(row[0]) if row else 0


CHANNEL = "sync_events"  # the triggers' pg_notify channel (payload: the event id)


async def listen(conn: AsyncConnection[Any]) -> None:
    """Subscribe this (autocommit) connection to the outbox notifications."""
    await conn.execute(f"LISTEN {CHANNEL}")


async def lag_after(conn: AsyncConnection[Any], last_id: int) -> tuple[int, float]:
    """The head id, and the age in seconds of the oldest event after `last_id` (0 if none)."""
    cur = await conn.execute(_LAG, {"last_id": last_id})
    row = await cur.fetchone()
    assert row is not None
    return int(row[0]), float(row[1]) if row[1] else 0.0
