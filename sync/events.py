"""Outbox events: the envelope every consumer shares, reading rows by id, and who may see what.

Visibility (one function, used by the live hub and by WebSocket replay alike):
- `appointment.*`, `hold.*`, `handoff.requested`: `Principal.may_see(dentist_id, patient_id)`:
  admin sees all, a patient (or the `chatbot` role acting for one) only rows with their own
  patient_id (so a handoff only when it is theirs), a dentist only rows with their own
  dentist_id (handoffs carry none).
- `availability.updated`: admin sees all; a dentist sees their own; a patient sees every
  dentist's, redacted to `{"source", "op"}` (the row may hold a private time-off reason), because
  the patient page needs the hint to refresh the slots it offers.
- `waitlist.offered`: that patient (their own sockets) and admins; not dentists.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from chatbot.auth import Principal

AVAILABILITY = "availability.updated"
WAITLIST_OFFERED = "waitlist.offered"


@dataclass(frozen=True)
class Event:
    id: int
    type: str
    occurred_at: dt.datetime
    dentist_id: int | None
    patient_id: int | None
    data: dict[str, Any]
    _json: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def envelope(self, *, redacted: bool = False) -> dict[str, Any]:
        data = self.data
        if redacted:
            data = {"source": data.get("source"), "op": data.get("op")}
        return {
            "id": self.id,
            "type": self.type,
            "occurred_at": self.occurred_at.isoformat(),
            "dentist_id": self.dentist_id,
            "patient_id": self.patient_id,
            "data": data,
        }

    def to_json(self, *, redacted: bool = False) -> str:
        """Serialised once per variant, however many sockets receive it."""
        key = "redacted" if redacted else "full"
        text = self._json.get(key)
        if text is None:
            text = json.dumps(self.envelope(redacted=redacted), separators=(",", ":"))
            self._json[key] = text
        return text


def view_for(principal: Principal, event: Event) -> str | None:
    """The JSON text this principal may receive for `event`, or None when hidden."""
    if event.type == AVAILABILITY:
        if principal.is_admin:
            return event.to_json()
        if principal.role == "dentist":
            return event.to_json() if event.dentist_id == principal.dentist_id else None
        return event.to_json(redacted=True)
    if event.type == WAITLIST_OFFERED and principal.role == "dentist":
        return None  # an offer is between the clinic and that patient
    if principal.may_see(event.dentist_id, event.patient_id):
        return event.to_json()
    return None


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
