"""SQL for appointment reminders (table and trigger: db/migrations/0005_reminders_feeds.sql).

The trigger on `appointment` arms, moves and removes reminder rows; this module only claims
due ones and answers the bot's "which appointment was this patient reminded of?".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, text

# Due: the lead window has begun, the appointment has not started, it was booked before the
# window began (else the booking confirmation is the reminder) and nobody sent it yet.
_CLAIM = """
WITH due AS (
    SELECT r.appointment_id FROM appointment_reminder r
    JOIN appointment a ON a.id = r.appointment_id
    WHERE r.sent_at IS NULL
      AND r.starts_at > :now
      AND r.starts_at - :lead <= :now
      AND r.armed_at <= r.starts_at - :lead
      AND a.status IN ('scheduled', 'confirmed')
    ORDER BY r.starts_at
    LIMIT :limit
    FOR UPDATE OF r SKIP LOCKED
)
UPDATE appointment_reminder r SET sent_at = :now, sent_by = :instance
FROM due WHERE r.appointment_id = due.appointment_id
RETURNING r.appointment_id
"""

_DETAILS = """
SELECT appointment_doc(a) AS doc, p.name AS patient_name, p.email AS patient_email,
       d.title || ' ' || d.name AS dentist_name, t.name AS treatment_name,
       c.name AS clinic_name, c.timezone AS clinic_timezone,
       sync_event_emit('appointment.reminder', a.dentist_id, a.patient_id, appointment_doc(a))
           AS event_id
FROM appointment a
JOIN patient p ON p.id = a.patient_id
JOIN dentist d ON d.id = a.dentist_id
JOIN treatment t ON t.id = a.treatment_id
CROSS JOIN clinic c
WHERE a.id = ANY(:ids)
ORDER BY a.starts_at, a.id
"""


def claim_due(
    conn: Connection, *, now: dt.datetime, lead: dt.timedelta, limit: int, instance: str
) -> list[dict[str, Any]]:
    """Mark due reminders sent and write their `appointment.reminder` outbox events, in the
    caller's transaction. Rows another transaction holds are skipped, not waited for."""
    params = {"now": now, "lead": lead, "limit": limit, "instance": instance[:200]}
    ids = [r[0] for r in conn.execute(text(_CLAIM), params)]
    if not ids:
        return []
    return [dict(r) for r in conn.execute(text(_DETAILS), {"ids": ids}).mappings()]


def last_reminded(conn: Connection, patient_id: int, *, now: dt.datetime) -> dict[str, Any] | None:
    """The patient's appointment they were most recently reminded of, if it is still to come
    and still booked (the appointment a bare "yes"/"can't make it" answers)."""
    row = conn.execute(
        text(
            "SELECT appointment_doc(a) FROM appointment_reminder r"
            " JOIN appointment a ON a.id = r.appointment_id"
            " WHERE a.patient_id = :p AND r.sent_at IS NOT NULL AND a.starts_at > :now"
            " AND a.status IN ('scheduled', 'confirmed')"
            " ORDER BY r.sent_at DESC, a.starts_at LIMIT 1"
        ),
        {"p": patient_id, "now": now},
    ).first()
    return dict(row[0]) if row else None
