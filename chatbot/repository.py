"""SQL for the scheduling services, and the one place database errors become domain errors.

Every function takes an open `Connection` inside the caller's transaction; `transaction()`
opens it and translates psycopg errors (exclusion violation → SlotTaken, ...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg.errors as pgerr
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from chatbot.domain.models import (
    AvailabilityException,
    AvailabilityRule,
    Busy,
    Clinic,
    Dentist,
    Treatment,
)
from chatbot.errors import BookingError, InvalidInput, NotFound, SlotTaken

SLOT_TAKEN_MSG = "That time was just taken by someone else. Please choose another time."


def translate(exc: DBAPIError) -> BookingError | None:
    """Map a database error to the domain error users see; None = not ours to translate."""
    orig = exc.orig
    if isinstance(orig, pgerr.ExclusionViolation):
        return SlotTaken(SLOT_TAKEN_MSG)
    if isinstance(orig, (pgerr.DeadlockDetected, pgerr.SerializationFailure)):
        return SlotTaken("The schedule changed while saving. Please try again.")
    if isinstance(orig, pgerr.ForeignKeyViolation):
        return NotFound("The dentist, patient or treatment referred to does not exist.")
    if isinstance(orig, (pgerr.CheckViolation, pgerr.NotNullViolation, pgerr.UniqueViolation)):
        return InvalidInput("Some of the values given are not allowed.")
    if isinstance(orig, pgerr.DataError):
        return InvalidInput("Some of the values given are out of range.")
    return None


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One use case = one transaction; a failure rolls everything back (no outbox row)."""
    try:
        with engine.begin() as conn:
            yield conn
    except DBAPIError as exc:
        mapped = translate(exc)
        if mapped is None:
            raise
        raise mapped from exc


# --- catalog -------------------------------------------------------------------------------


def fetch_clinic(conn: Connection) -> Clinic:
    row = conn.execute(text("SELECT * FROM clinic WHERE id = 1")).mappings().first()
    if row is None:
        raise NotFound("The clinic is not set up yet (run the seed command).")
    return Clinic(**dict(row))


def fetch_dentists(conn: Connection, ids: Sequence[int] | None = None) -> list[Dentist]:
    sql = "SELECT * FROM dentist" + (" WHERE id = ANY(:ids)" if ids is not None else "")
    rows = conn.execute(text(sql + " ORDER BY id"), {"ids": list(ids or [])}).mappings()
    return [Dentist(**(dict(r) | {"specialties": tuple(r["specialties"])})) for r in rows]


def fetch_treatments(conn: Connection) -> list[Treatment]:
    rows = conn.execute(
        text(
            "SELECT code, name, duration_min, buffer_min, price_cents, description, synonyms"
            " FROM treatment ORDER BY id"
        )
    ).mappings()
    return [Treatment(**(dict(r) | {"synonyms": tuple(r["synonyms"])})) for r in rows]


def treatment_id(conn: Connection, code: str) -> int:
    found = conn.execute(text("SELECT id FROM treatment WHERE code = :c"), {"c": code}).scalar()
    if found is None:
        raise NotFound(f"Unknown treatment {code!r}.")
    return int(found)


def lock_patient(conn: Connection, patient_id: int) -> bool:
    """Lock the patient row until the transaction ends (False when there is none), so one
    patient's concurrent writes queue up and limits are checked on committed counts.
    NO KEY UPDATE: foreign-key checks of other writers (KEY SHARE) are not blocked."""
    found = conn.execute(
        text("SELECT 1 FROM patient WHERE id = :p FOR NO KEY UPDATE"), {"p": patient_id}
    ).first()
    return found is not None


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


def patient_exists(conn: Connection, patient_id: int) -> bool:
    return (
        conn.execute(text("SELECT 1 FROM patient WHERE id = :p"), {"p": patient_id}).first()
        is not None
    )


# --- availability inputs ---------------------------------------------------------------------


def fetch_rules(
    conn: Connection, dentist_ids: Sequence[int], first_day: dt.date, last_day: dt.date
) -> list[AvailabilityRule]:
    rows = conn.execute(
        text(
            "SELECT dentist_id, isodow, start_time, end_time, valid_from, valid_to"
            " FROM availability_rule WHERE dentist_id = ANY(:ids)"
            " AND valid_from <= :last AND (valid_to IS NULL OR valid_to >= :first)"
            " ORDER BY dentist_id, isodow, start_time"
        ),
        {"ids": list(dentist_ids), "first": first_day, "last": last_day},
    )
    return [AvailabilityRule(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


def fetch_intervals(
    conn: Connection,
    dentist_ids: Sequence[int],
    start: dt.datetime,
    end: dt.datetime,
    *,
    exclude_appointment_id: int | None = None,
) -> tuple[list[AvailabilityException], list[Busy]]:
    """Exceptions and busy time (live appointments and holds, incl. buffers) overlapping
    [start, end), in one query. Holds carry their expiry so callers decide what still blocks."""
    rows = conn.execute(
        text(
            "SELECT dentist_id, kind, starts_at, ends_at, NULL::timestamptz"
            " FROM availability_exception"
            " WHERE dentist_id = ANY(:ids) AND starts_at < :end AND ends_at > :start"
            " UNION ALL"
            " SELECT dentist_id, 'busy', starts_at, blocks_until,"
            "  CASE WHEN status = 'held' THEN hold_expires_at END"
            " FROM appointment"
            " WHERE dentist_id = ANY(:ids) AND starts_at < :end AND blocks_until > :start"
            " AND status NOT IN ('cancelled', 'expired') AND id IS DISTINCT FROM :skip"
        ),
        {"ids": list(dentist_ids), "start": start, "end": end, "skip": exclude_appointment_id},
    )
    exceptions: list[AvailabilityException] = []
    busy: list[Busy] = []
    for dentist_id, kind, s, e, expires in rows:
        if kind == "busy":
            busy.append(Busy(dentist_id, s, e, expires))
        else:
            exceptions.append(AvailabilityException(dentist_id, kind, s, e))
    return exceptions, busy


def db_now(conn: Connection) -> dt.datetime:
    """The database's transaction time (what the triggers and constraints see)."""
    value: dt.datetime = conn.execute(text("SELECT now()")).scalar_one()
    return value


# --- appointments ----------------------------------------------------------------------------


def live_appointment_spans(
    conn: Connection, dentist_id: int, lo: dt.datetime, hi: dt.datetime
) -> list[tuple[int, dt.datetime, dt.datetime]]:
    """(id, starts_at, blocks_until) of a dentist's live appointments overlapping [lo, hi)."""
    rows = conn.execute(
        text(
            "SELECT id, starts_at, blocks_until FROM appointment WHERE dentist_id = :d"
            " AND starts_at < :hi AND blocks_until > :lo"
            " AND status NOT IN ('cancelled', 'expired')"
        ),
        {"d": dentist_id, "lo": lo, "hi": hi},
    ).all()
    return [(int(i), s, e) for i, s, e in rows]


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


def lock_appointment(conn: Connection, appointment_id: int) -> dict[str, Any]:
    """The row (with `treatment` code and `doc`) locked FOR UPDATE; NotFound if absent."""
    row = (
        conn.execute(
            text(
                "SELECT a.*, t.code AS treatment, appointment_doc(a) AS doc,"
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
    return dict(row)


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


def insert_handoff(conn: Connection, patient_id: int | None, sender: str, reason: str) -> int:
    return int(
        conn.execute(
            text(
                "INSERT INTO handoff_request (patient_id, sender, reason)"
                " VALUES (:p, :s, :r) RETURNING id"
            ),
            {"p": patient_id, "s": sender, "r": reason},
        ).scalar_one()
    )


# --- availability writes ---------------------------------------------------------------------


def lock_rules(conn: Connection, dentist_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        text(
            "SELECT id, isodow, start_time, end_time, valid_from, valid_to"
            " FROM availability_rule WHERE dentist_id = :d ORDER BY id FOR UPDATE"
        ),
        {"d": dentist_id},
    ).mappings()
    return [dict(r) for r in rows]


def set_rule_validity(
    conn: Connection, rule_id: int, valid_from: dt.date, valid_to: dt.date | None
) -> None:
    conn.execute(
        text("UPDATE availability_rule SET valid_from = :f, valid_to = :t WHERE id = :id"),
        {"id": rule_id, "f": valid_from, "t": valid_to},
    )


def delete_rule(conn: Connection, rule_id: int) -> None:
    conn.execute(text("DELETE FROM availability_rule WHERE id = :id"), {"id": rule_id})


def insert_rule(
    conn: Connection,
    dentist_id: int,
    isodow: int,
    start: dt.time,
    end: dt.time,
    valid_from: dt.date,
    valid_to: dt.date | None,
) -> None:
    conn.execute(
        text(
            "INSERT INTO availability_rule (dentist_id, isodow, start_time, end_time,"
            " valid_from, valid_to) VALUES (:d, :w, :s, :e, :f, :t)"
        ),
        {"d": dentist_id, "w": isodow, "s": start, "e": end, "f": valid_from, "t": valid_to},
    )


def insert_exception(
    conn: Connection,
    dentist_id: int,
    kind: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str,
) -> int:
    return int(
        conn.execute(
            text(
                "INSERT INTO availability_exception (dentist_id, kind, starts_at, ends_at, reason)"
                " VALUES (:d, :k, :s, :e, :r) RETURNING id"
            ),
            {"d": dentist_id, "k": kind, "s": starts_at, "e": ends_at, "r": reason},
        ).scalar_one()
    )


def time_off_rows(
    conn: Connection, dentist_id: int, start: dt.datetime, end: dt.datetime
) -> list[dict[str, Any]]:
    """One dentist's 'off' exceptions overlapping [start, end), by start."""
    rows = conn.execute(
        text(
            "SELECT id, dentist_id, starts_at, ends_at, reason FROM availability_exception"
            " WHERE dentist_id = :d AND kind = 'off' AND starts_at < :end AND ends_at > :start"
            " ORDER BY starts_at, id LIMIT 1000"
        ),
        {"d": dentist_id, "start": start, "end": end},
    ).mappings()
    return [dict(r) for r in rows]


def delete_time_off(conn: Connection, dentist_id: int, time_off_id: int) -> bool:
    """Delete one 'off' exception of this dentist; False when there is none."""
    result = conn.execute(
        text(
            "DELETE FROM availability_exception WHERE id = :id AND dentist_id = :d AND kind = 'off'"
        ),
        {"id": time_off_id, "d": dentist_id},
    )
    return result.rowcount > 0
