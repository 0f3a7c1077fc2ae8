"""SQL for appointments and holds: insert, lock, update, the documents and schedule rows read
back, and the counts the per-patient limits are checked on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, text

from chatbot.domain.appointment import Appointment, Change
from chatbot.domain.models import Treatment
from chatbot.domain.status import Status
from chatbot.errors import NotFound


def patient_commitments(
    conn: Connection, patient_id: int, *, exclude_appointment_id: int | None = None
) -> tuple[int, int]:
    """(live holds, booked appointments still to come) of one patient."""
    row = conn.execute(
        text(
            "SELECT count(*) FILTER (WHERE status = 'held' AND hold_expires_at > now()),"
            " count(*) FILTER (WHERE status IN ('scheduled', 'confirmed') AND starts_at > now())"
            " FROM appointment WHERE patient_id = :p AND id IS DISTINCT FROM :skip"
            " AND status IN ('held', 'scheduled', 'confirmed')"
        ),
        {"p": patient_id, "skip": exclude_appointment_id},
    ).one()
    return int(row[0]), int(row[1])


def sweep_expired_holds(conn: Connection, dentist_id: int) -> int:
    """Mark this dentist's expired holds 'expired' (rows others are changing are skipped)."""
    result = conn.execute(
        text(
            "UPDATE appointment SET status = 'expired', updated_at = now()"
            " WHERE id IN (SELECT id FROM appointment WHERE dentist_id = :d AND status = 'held'"
            " AND hold_expires_at <= now() FOR UPDATE SKIP LOCKED)"
        ),
        {"d": dentist_id},
    )
    return result.rowcount


def insert_appointment(
    conn: Connection,
    *,
    dentist_id: int,
    patient_id: int,
    treatment: Treatment,
    starts_at: dt.datetime,
    status: str,
    hold_ttl_s: int | None = None,
    notes: str = "",
) -> dict[str, Any]:
    doc = conn.execute(
        text(
            "INSERT INTO appointment (dentist_id, patient_id, treatment_id, starts_at, ends_at,"
            " blocks_until, status, hold_expires_at, notes)"
            " SELECT :d, :p, t.id, :s, :s + make_interval(mins => t.duration_min),"
            "  :s + make_interval(mins => t.duration_min + t.buffer_min), :status,"
            "  now() + make_interval(secs => CAST(:ttl AS integer)),"
            "  :notes"
            " FROM treatment t WHERE t.code = :code"
            " RETURNING appointment_doc(appointment)"
        ),
        {
            "d": dentist_id,
            "p": patient_id,
            "s": starts_at,
            "status": status,
            "ttl": hold_ttl_s,
            "notes": notes,
            "code": treatment.code,
        },
    ).scalar()
    if doc is None:
        raise NotFound(f"Unknown treatment {treatment.code!r}.")
    return dict(doc)


def lock_appointment(conn: Connection, appointment_id: int) -> Appointment:
    """The appointment locked FOR UPDATE (until the transaction ends); NotFound if absent."""
    row = (
        conn.execute(
            text(
                "SELECT a.id, a.dentist_id, a.patient_id, t.code AS treatment, a.status,"
                " a.starts_at, a.notes, appointment_doc(a) AS doc,"
                " (a.status = 'held' AND a.hold_expires_at <= now()) AS hold_expired"
                " FROM appointment a JOIN treatment t ON t.id = a.treatment_id"
                " WHERE a.id = :id FOR UPDATE OF a"
            ),
            {"id": appointment_id},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"Appointment {appointment_id} was not found.")
    return Appointment(
        id=row["id"],
        dentist_id=row["dentist_id"],
        patient_id=row["patient_id"],
        treatment=row["treatment"],
        status=Status(row["status"]),
        starts_at=row["starts_at"],
        hold_expired=bool(row["hold_expired"]),
        notes=row["notes"],
        doc=dict(row["doc"]),
    )


_UPDATABLE = frozenset({"status", "hold_expires_at", "notes", "dentist_id"})


def update_appointment(conn: Connection, appointment_id: int, **changes: Any) -> dict[str, Any]:
    """Update plain columns (see _UPDATABLE) and/or move it: `starts_at=` recomputes
    ends_at/blocks_until from the treatment. Returns the new appointment doc."""
    sets = ["updated_at = now()"]
    params: dict[str, Any] = {"id": appointment_id}
    for key, value in changes.items():
        if key == "starts_at":
            sets += [
                "starts_at = :starts_at",
                "ends_at = :starts_at + make_interval(mins => t.duration_min)",
                "blocks_until = :starts_at + make_interval(mins => t.duration_min + t.buffer_min)",
            ]
        elif key in _UPDATABLE:
            sets.append(f"{key} = :{key}")
        else:
            raise ValueError(f"cannot update {key}")
        params[key] = value
    doc = conn.execute(
        text(
            f"UPDATE appointment a SET {', '.join(sets)} FROM treatment t"
            " WHERE a.id = :id AND t.id = a.treatment_id RETURNING appointment_doc(a)"
        ),
        params,
    ).scalar_one()
    return dict(doc)


def apply_change(
    conn: Connection, appointment: Appointment, change: Change | None
) -> dict[str, Any]:
    """The document after writing `change`; the current one when there is nothing to change."""
    if change is None:
        return dict(appointment.doc)
    return update_appointment(conn, appointment.id, **change.fields())


def appointment_docs(
    conn: Connection,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    dentist_id: int | None = None,
    patient_id: int | None = None,
    include_cancelled: bool = False,
    appointment_id: int | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    where = ["TRUE"]
    if appointment_id is not None:
        where.append("a.id = :appointment_id")
    if start is not None:
        where.append("a.ends_at > :start")
    if end is not None:
        where.append("a.starts_at < :end")
    if dentist_id is not None:
        where.append("a.dentist_id = :dentist_id")
    if patient_id is not None:
        where.append("a.patient_id = :patient_id")
    if not include_cancelled:
        where.append("a.status NOT IN ('cancelled', 'expired')")
        where.append("NOT (a.status = 'held' AND a.hold_expires_at <= now())")
    rows = conn.execute(
        text(
            "SELECT appointment_doc(a) FROM appointment a WHERE "
            + " AND ".join(where)
            + " ORDER BY a.starts_at, a.id LIMIT :limit"
        ),
        {
            "start": start,
            "end": end,
            "dentist_id": dentist_id,
            "patient_id": patient_id,
            "appointment_id": appointment_id,
            "limit": limit,
        },
    )
    return [dict(r[0]) for r in rows]


def schedule_rows(
    conn: Connection, dentist_id: int, start: dt.datetime, end: dt.datetime
) -> list[dict[str, Any]]:
    rows = conn.execute(
        text(
            "SELECT appointment_doc(a) AS doc, p.name AS patient_name, t.name AS treatment_name"
            " FROM appointment a JOIN patient p ON p.id = a.patient_id"
            " JOIN treatment t ON t.id = a.treatment_id"
            " WHERE a.dentist_id = :d AND a.starts_at < :end AND a.ends_at > :start"
            " AND a.status NOT IN ('cancelled', 'expired')"
            " AND NOT (a.status = 'held' AND a.hold_expires_at <= now())"
            " ORDER BY a.starts_at, a.id LIMIT 2000"
        ),
        {"d": dentist_id, "start": start, "end": end},
    ).mappings()
    return [
        dict(r["doc"]) | {"patient_name": r["patient_name"], "treatment_name": r["treatment_name"]}
        for r in rows
    ]
