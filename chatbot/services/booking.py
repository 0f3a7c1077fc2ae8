"""Holds, bookings, reschedules, cancellations and status changes.

Every write: one transaction; sweep the dentist's expired holds; check the start is a real
free slot (domain rules); write; the exclusion constraint is the final word (→ SlotTaken).
New holds and bookings by a patient (or the bot acting for one) also lock the patient row and
check the per-patient limits (`services.limits`, → LimitReached).
Appointments are returned as `appointment_doc()` JSON (the same shape events carry).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, Engine

from chatbot.auth import Principal
from chatbot.config import PatientLimits
from chatbot.domain.status import PATIENT_SETTABLE, SETTABLE, Status
from chatbot.errors import Forbidden, HoldExpired, IllegalTransition, InvalidInput, NotFound
from chatbot.repositories import appointments, handoffs, patients, unit
from chatbot.services import limits as patient_limits
from chatbot.services.guards import act_for, aware, ident, text_arg, window
from chatbot.services.slot_check import booking_context, ensure_free_slot

UTC = dt.timezone.utc
Doc = dict[str, Any]


def _create(
    engine: Engine,
    principal: Principal,
    *,
    patient_id: int,
    dentist_id: int,
    treatment: str,
    starts_at: dt.datetime,
    hold_ttl_s: int | None,
    notes: str = "",
    limits: PatientLimits | None = None,
) -> Doc:
    patient_id, dentist_id = ident(patient_id, "patient id"), ident(dentist_id, "dentist id")
    starts_at = aware(starts_at, "start time")
    notes = text_arg(notes, "notes", max_len=2000)
    act_for(principal, patient_id=patient_id, dentist_id=dentist_id)
    with unit.transaction(engine) as conn:
        clinic, dentist, chosen = booking_context(conn, dentist_id, treatment)
        # Self-service: lock the patient so their parallel requests queue for the limit check.
        exists = patients.lock_patient if principal.patient_scoped else patients.patient_exists
        if not exists(conn, patient_id):
            raise NotFound(f"There is no patient with id {patient_id}.")
        patient_limits.ensure_room(
            conn, principal, patient_id, hold=hold_ttl_s is not None, limits=limits
        )
        appointments.sweep_expired_holds(conn, dentist_id)
        ensure_free_slot(conn, clinic, dentist, chosen, starts_at)
        ttl = None if hold_ttl_s is None else hold_ttl_s or clinic.hold_ttl_s
        return appointments.insert_appointment(
            conn,
            dentist_id=dentist_id,
            patient_id=patient_id,
            treatment=chosen,
            starts_at=starts_at,
            status=Status.HELD.value if ttl is not None else Status.SCHEDULED.value,
            hold_ttl_s=ttl,
            notes=notes,
        )


def hold_slot(
    engine: Engine,
    principal: Principal,
    *,
    patient_id: int,
    dentist_id: int,
    treatment: str,
    starts_at: dt.datetime,
    ttl_s: int | None = None,
    limits: PatientLimits | None = None,
) -> Doc:
    """Reserve a slot while the patient confirms; it stops blocking after ttl_s seconds
    (clinic default 300). `limits`: per-patient limits (default: from the environment)."""
    if ttl_s is not None and (
        isinstance(ttl_s, bool) or not isinstance(ttl_s, int) or not 10 <= ttl_s <= 86400
    ):
        raise InvalidInput("A hold lasts between 10 seconds and one day.")
    return _create(
        engine,
        principal,
        patient_id=patient_id,
        dentist_id=dentist_id,
        treatment=treatment,
        starts_at=starts_at,
        hold_ttl_s=ttl_s or 0,
        limits=limits,
    )


def book(
    engine: Engine,
    principal: Principal,
    *,
    patient_id: int,
    dentist_id: int,
    treatment: str,
    starts_at: dt.datetime,
    notes: str = "",
    limits: PatientLimits | None = None,
) -> Doc:
    """Book directly (status 'scheduled'); `limits` as for `hold_slot`."""
    return _create(
        engine,
        principal,
        patient_id=patient_id,
        dentist_id=dentist_id,
        treatment=treatment,
        starts_at=starts_at,
        hold_ttl_s=None,
        notes=notes,
        limits=limits,
    )


def _locked(conn: Connection, principal: Principal, appointment_id: Any) -> dict[str, Any]:
    """The appointment row locked for update; NotFound when absent or not the caller's."""
    appointment_id = ident(appointment_id, "appointment id")
    row = appointments.lock_appointment(conn, appointment_id)
    if not principal.may_see(row["dentist_id"], row["patient_id"]):
        raise NotFound(f"Appointment {appointment_id} was not found.")
    return row


def confirm_locked(conn: Connection, row: dict[str, Any]) -> Doc:
    """Confirm a hold whose row the caller has locked (see `confirm_hold`)."""
    if Status(row["status"]).booked:
        return dict(row["doc"])  # already confirmed: idempotent
    if row["status"] == Status.EXPIRED or (row["status"] == Status.HELD and row["hold_expired"]):
        raise HoldExpired(
            "The reservation expired before it was confirmed. Please pick a time again."
        )
    if row["status"] != Status.HELD:
        raise IllegalTransition(f"This appointment is {row['status']} and cannot be confirmed.")
    return appointments.update_appointment(
        conn, row["id"], status=Status.SCHEDULED.value, hold_expires_at=None
    )


def confirm_hold(engine: Engine, principal: Principal, hold_id: int) -> Doc:
    """Turn a live hold into a booking ('scheduled'). Expired → HoldExpired (409)."""
    with unit.transaction(engine) as conn:
        return confirm_locked(conn, _locked(conn, principal, hold_id))


def release_hold(engine: Engine, principal: Principal, hold_id: int) -> Doc:
    """Give a hold back (status 'cancelled', event hold.released); no-op if already gone."""
    with unit.transaction(engine) as conn:
        row = _locked(conn, principal, hold_id)
        if row["status"] in (Status.CANCELLED, Status.EXPIRED):
            return dict(row["doc"])
        if row["status"] != Status.HELD:
            raise InvalidInput("This is a booking, not a hold; cancel it instead.")
        return appointments.update_appointment(conn, row["id"], status=Status.CANCELLED.value)


def reschedule(
    engine: Engine,
    principal: Principal,
    appointment_id: int,
    *,
    starts_at: dt.datetime,
    dentist_id: int | None = None,
) -> Doc:
    """Move an appointment (or live hold) to a new free slot, optionally with another dentist.
    The same row is updated (keeps its id, event appointment.updated)."""
    starts_at = aware(starts_at, "start time")
    with unit.transaction(engine) as conn:
        row = _locked(conn, principal, appointment_id)
        target = ident(dentist_id, "dentist id") if dentist_id is not None else row["dentist_id"]
        act_for(principal, patient_id=row["patient_id"], dentist_id=target)
        if not Status(row["status"]).movable or row["hold_expired"]:
            raise IllegalTransition(f"A {row['status']} appointment cannot be moved.")
        clinic, dentist, chosen = booking_context(conn, target, row["treatment"])
        appointments.sweep_expired_holds(conn, target)
        ensure_free_slot(conn, clinic, dentist, chosen, starts_at, exclude_appointment_id=row["id"])
        return appointments.update_appointment(
            conn, row["id"], starts_at=starts_at, dentist_id=target
        )


def _cancel_row(conn: Connection, principal: Principal, row: dict[str, Any], reason: str) -> Doc:
    if row["status"] == Status.CANCELLED:
        return dict(row["doc"])
    if not Status(row["status"]).can_become(Status.CANCELLED):
        raise IllegalTransition(f"A {row['status']} appointment cannot be cancelled.")
    if principal.patient_scoped and row["starts_at"] <= dt.datetime.now(UTC):
        raise InvalidInput("This appointment has already started; please call the clinic.")
    notes = row["notes"]
    if reason:
        notes = ((notes + "\n") if notes else "") + f"Cancelled: {reason}"
    return appointments.update_appointment(
        conn, row["id"], status=Status.CANCELLED.value, notes=notes[:2000]
    )


def cancel(engine: Engine, principal: Principal, appointment_id: int, *, reason: str = "") -> Doc:
    """Cancel (idempotent); the reason is appended to the notes."""
    reason = text_arg(reason, "reason", max_len=500)
    with unit.transaction(engine) as conn:
        return _cancel_row(conn, principal, _locked(conn, principal, appointment_id), reason)


def set_status(engine: Engine, principal: Principal, appointment_id: int, status: str) -> Doc:
    """Move along the allowed transitions (`domain.status.Status`); illegal → 409.
    Patients (and the bot on their behalf) may only confirm or cancel."""
    new = Status.parse(status)
    if new is None or new not in SETTABLE:
        raise InvalidInput(f"Unknown status {str(status)[:40]!r}.")
    if principal.patient_scoped and new not in PATIENT_SETTABLE:
        raise Forbidden("Only the clinic can set that status.")
    with unit.transaction(engine) as conn:
        row = _locked(conn, principal, appointment_id)
        if row["status"] == new:
            return dict(row["doc"])
        if not Status(row["status"]).can_become(new):
            raise IllegalTransition(f"A {row['status']} appointment cannot become {new}.")
        if new is Status.CANCELLED:
            return _cancel_row(conn, principal, row, "")
        if row["status"] == Status.HELD:
            return confirm_locked(conn, row)
        return appointments.update_appointment(conn, row["id"], status=new.value)


def get_appointment(engine: Engine, principal: Principal, appointment_id: int) -> Doc:
    appointment_id = ident(appointment_id, "appointment id")
    with unit.transaction(engine) as conn:
        docs = appointments.appointment_docs(
            conn, appointment_id=appointment_id, include_cancelled=True
        )
    if not docs or not principal.may_see(docs[0]["dentist_id"], docs[0]["patient_id"]):
        raise NotFound(f"Appointment {appointment_id} was not found.")
    return docs[0]


def list_appointments(
    engine: Engine,
    principal: Principal,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    dentist_id: int | None = None,
    patient_id: int | None = None,
    include_cancelled: bool = False,
) -> list[Doc]:
    """Appointments the caller may see (patient/chatbot: that patient's; dentist: own; admin: all),
    ordered by start. Live holds are included, expired ones only with include_cancelled."""
    if start is not None:
        start = aware(start, "start")
    if end is not None:
        end = aware(end, "end")
    if start is not None and end is not None:
        window(start, end, max_days=3660)
    if dentist_id is not None:
        dentist_id = ident(dentist_id, "dentist id")
    if patient_id is not None:
        patient_id = ident(patient_id, "patient id")
    if principal.patient_scoped:
        if patient_id not in (None, principal.patient_id):
            raise Forbidden("You may only see your own appointments.")
        patient_id = principal.patient_id
    elif principal.role == "dentist":
        if dentist_id not in (None, principal.dentist_id):
            raise Forbidden("You may only see your own schedule.")
        dentist_id = principal.dentist_id
    with unit.transaction(engine) as conn:
        return appointments.appointment_docs(
            conn,
            start=start,
            end=end,
            dentist_id=dentist_id,
            patient_id=patient_id,
            include_cancelled=bool(include_cancelled),
        )


def request_handoff(
    engine: Engine, principal: Principal, *, patient_id: int | None, sender: str, reason: str
) -> int:
    """Ask for a human; the admin dashboard gets a handoff.requested event. Returns its id."""
    if patient_id is not None:
        patient_id = ident(patient_id, "patient id")
        act_for(principal, patient_id=patient_id, dentist_id=None)
    elif principal.patient_scoped:
        patient_id = principal.patient_id
    sender = text_arg(sender, "sender", max_len=200, required=True)
    reason = text_arg(reason, "reason", max_len=10000)[:2000]
    with unit.transaction(engine) as conn:
        if patient_id is not None and not patients.patient_exists(conn, patient_id):
            raise NotFound(f"There is no patient with id {patient_id}.")
        return handoffs.insert_handoff(conn, patient_id, sender, reason)
