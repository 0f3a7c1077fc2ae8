"""SQL for the waitlist aggregate (entries in line, the offers made to them).

Every function runs inside the caller's transaction (`unit.transaction`), which also
translates database errors. The schema's constraints do the race safety (see
db/migrations/0004_front_desk_waitlist.sql); the advisory lock only keeps matchers of one
dentist from doing the same work twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, text

MATCHER_LOCK = 7243016  # with the dentist id: one matching pass per dentist at a time

_ENTRY = (
    "SELECT e.id, e.patient_id, p.name AS patient_name, t.code AS treatment, e.dentist_id,"
    " e.window_start, e.window_end, e.status, e.created_at,"
    " (SELECT waitlist_offer_doc(o) FROM waitlist_offer o"
    "   WHERE o.waitlist_id = e.id AND o.status = 'open') AS offer"
    " FROM waitlist_entry e JOIN patient p ON p.id = e.patient_id"
    " JOIN treatment t ON t.id = e.treatment_id"
)


def insert_entry(
    conn: Connection,
    *,
    patient_id: int,
    treatment_id: int,
    dentist_id: int | None,
    start: dt.datetime,
    end: dt.datetime,
) -> int:
    return int(
        conn.execute(
            text(
                "INSERT INTO waitlist_entry (patient_id, treatment_id, dentist_id,"
                " window_start, window_end) VALUES (:p, :t, :d, :s, :e) RETURNING id"
            ),
            {"p": patient_id, "t": treatment_id, "d": dentist_id, "s": start, "e": end},
        ).scalar_one()
    )


def entries(
    conn: Connection, *, patient_id: int | None = None, entry_id: int | None = None
) -> list[dict[str, Any]]:
    """Waiting entries in line order (one patient's, or one entry in any state)."""
    params: dict[str, int | None] = {"id": entry_id, "p": patient_id}
    if entry_id is not None:
        where = " WHERE e.id = :id"
    else:
        where = " WHERE e.status = 'waiting'" + (" AND e.patient_id = :p" if patient_id else "")
    rows = conn.execute(text(_ENTRY + where + " ORDER BY e.created_at, e.id LIMIT 1000"), params)
    return [dict(r) for r in rows.mappings()]


def count_waiting(conn: Connection, patient_id: int) -> int:
    return int(
        conn.execute(
            text(
                "SELECT count(*) FROM waitlist_entry WHERE patient_id = :p AND status = 'waiting'"
            ),
            {"p": patient_id},
        ).scalar_one()
    )


def lock_entry(conn: Connection, entry_id: int) -> dict[str, Any] | None:
    row = (
        conn.execute(
            text("SELECT * FROM waitlist_entry WHERE id = :id FOR UPDATE"), {"id": entry_id}
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def set_entry_status(conn: Connection, entry_id: int, status: str) -> None:
    conn.execute(
        text("UPDATE waitlist_entry SET status = :s WHERE id = :id"), {"s": status, "id": entry_id}
    )


def last_offer(conn: Connection, entry_id: int) -> dict[str, Any] | None:
    """The entry's newest offer (open or not)."""
    row = (
        conn.execute(
            text("SELECT * FROM waitlist_offer WHERE waitlist_id = :id ORDER BY id DESC LIMIT 1"),
            {"id": entry_id},
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


# --- matching ---------------------------------------------------------------------------------


def lock_matching(conn: Connection, dentist_id: int) -> None:
    conn.execute(text("SELECT pg_advisory_xact_lock(:k, :d)"), {"k": MATCHER_LOCK, "d": dentist_id})


def candidates(conn: Connection, dentist_id: int) -> list[dict[str, Any]]:
    """Waiting entries this dentist could serve, in line order, of patients without an open
    offer (rows are locked one by one by `claim`)."""
    rows = conn.execute(
        text(
            "SELECT e.id, e.patient_id, t.code AS treatment, e.window_start, e.window_end"
            " FROM waitlist_entry e JOIN treatment t ON t.id = e.treatment_id"
            " WHERE e.status = 'waiting' AND (e.dentist_id IS NULL OR e.dentist_id = :d)"
            " AND e.window_end > now()"
            " AND NOT EXISTS (SELECT 1 FROM waitlist_offer o"
            "                 WHERE o.patient_id = e.patient_id AND o.status = 'open')"
            " ORDER BY e.created_at, e.id LIMIT 500"
        ),
        {"d": dentist_id},
    )
    return [dict(r) for r in rows.mappings()]


def claim(conn: Connection, entry_id: int) -> bool:
    """Lock a still-waiting entry; False when another matcher has it (SKIP LOCKED)."""
    found = conn.execute(
        text(
            "SELECT 1 FROM waitlist_entry WHERE id = :id AND status = 'waiting'"
            " FOR UPDATE SKIP LOCKED"
        ),
        {"id": entry_id},
    ).first()
    return found is not None


def offered_starts(
    conn: Connection, entry_ids: list[int], dentist_id: int
) -> dict[int, set[dt.datetime]]:
    """Per entry, the starts with this dentist already offered to it (a declined or expired
    slot passes on to the next patient instead of coming back)."""
    rows = conn.execute(
        text(
            "SELECT waitlist_id, starts_at FROM waitlist_offer"
            " WHERE waitlist_id = ANY(:e) AND dentist_id = :d"
        ),
        {"e": entry_ids, "d": dentist_id},
    )
    out: dict[int, set[dt.datetime]] = {}
    for entry_id, starts_at in rows:
        out.setdefault(entry_id, set()).add(starts_at)
    return out


def insert_offer(
    conn: Connection,
    *,
    entry_id: int,
    hold: dict[str, Any],
    starts_at: dt.datetime,
    expires_at: dt.datetime,
) -> dict[str, Any]:
    """Record the offer of `hold` (an appointment doc); its trigger emits waitlist.offered."""
    doc = conn.execute(
        text(
            "INSERT INTO waitlist_offer (waitlist_id, patient_id, appointment_id, dentist_id,"
            " starts_at, expires_at) VALUES (:e, :p, :a, :d, :s, :x)"
            " RETURNING waitlist_offer_doc(waitlist_offer)"
        ),
        {
            "e": entry_id,
            "p": hold["patient_id"],
            "a": hold["id"],
            "d": hold["dentist_id"],
            "s": starts_at,
            "x": expires_at,
        },
    ).scalar_one()
    return dict(doc)


def expire_offer_holds(conn: Connection) -> int:
    """Expire the holds of unanswered offers (the offers follow by trigger, and the
    `hold.released` events wake the matcher for the next patient)."""
    result = conn.execute(
        text(
            "UPDATE appointment SET status = 'expired', updated_at = now()"
            " WHERE id IN (SELECT a.id FROM waitlist_offer o"
            "   JOIN appointment a ON a.id = o.appointment_id"
            "   WHERE o.status = 'open' AND a.status = 'held' AND a.hold_expires_at <= now()"
            "   FOR UPDATE OF a SKIP LOCKED)"
        )
    )
    return result.rowcount
