"""SQL for the outbox (`sync_event`, filled by the triggers of 0002_outbox.sql): rows after an
id, in id order, for the listener and for WebSocket replay; the head id and the lag."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from chatbot.auth import Principal
from chatbot.events import AVAILABILITY, Event

_COLUMNS = "id, type, created_at, dentist_id, patient_id, data"


def _event(row: dict[str, Any]) -> Event:
    return Event(
        id=row["id"],
        type=row["type"],
        occurred_at=row["created_at"],
        dentist_id=row["dentist_id"],
        patient_id=row["patient_id"],
        data=row["data"],
    )


def _role_filter(principal: Principal | None) -> tuple[str, list[Any]]:
    """A SQL pre-filter so replay for a patient/dentist does not read everyone's rows
    (`view_for` still decides)."""
    if principal is None or principal.is_admin:
        return "", []
    if principal.patient_scoped:
        return " AND (patient_id = %s OR type = %s)", [principal.patient_id, AVAILABILITY]
    return " AND dentist_id = %s", [principal.dentist_id]


async def fetch_after(
    conn: AsyncConnection[Any],
    after_id: int,
    *,
    limit: int = 500,
    upto: int | None = None,
    principal: Principal | None = None,
) -> list[Event]:
    """Events with after_id < id (<= upto), in id order, at most `limit`."""
    sql = f"SELECT {_COLUMNS} FROM sync_event WHERE id > %s"
    params: list[Any] = [after_id]
    if upto is not None:
        sql += " AND id <= %s"
        params.append(upto)
    extra, extra_params = _role_filter(principal)
    sql += extra + " ORDER BY id LIMIT %s"
    params += [*extra_params, limit]
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
    cur = await conn.execute(
        "SELECT coalesce(max(id), 0),"
        " extract(epoch FROM clock_timestamp() - min(created_at) FILTER (WHERE id > %s))"
        " FROM sync_event",
        (last_id,),
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row[0]), float(row[1]) if row[1] else 0.0
