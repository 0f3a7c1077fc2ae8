"""Holds, bookings, reschedules, cancellations and status changes.

Every write: one transaction; sweep the dentist's expired holds; check the start is a real
free slot (domain rules); write; the exclusion constraint is the final word (→ SlotTaken).
New holds and bookings by a patient (or the bot acting for one) also lock the patient row and
check the per-patient limits (`services.limits`, → LimitReached).
Changes to an existing appointment lock it and ask the domain `Appointment` what they mean
(`domain.appointment`: allowed or which error, what to write, or nothing when already done).
Appointments are returned as `appointment_doc()` JSON (the same shape events carry).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, Engine

from chatbot.auth import Principal
from chatbot.config import PatientLimits
from chatbot.domain.appointment import Appointment, settable_status
from chatbot.domain.status import Status
from chatbot.errors import Forbidden, InvalidInput, NotFound
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


def _locked(conn: Connection, principal: Principal, appointment_id: Any) -> Appointment:
    """The appointment locked for update; NotFound when absent or not the caller's."""
    appointment_id = ident(appointment_id, "appointment id")
    appointment = appointments.lock_appointment(conn, appointment_id)
    if not principal.may_see(appointment.dentist_id, appointment.patient_id):
        raise NotFound(f"Appointment {appointment_id} was not found.")
    return appointment


def confirm_locked(conn: Connection, appointment: Appointment) -> Doc:
    """Confirm a hold the caller has locked (see `confirm_hold`)."""
    return appointments.apply_change(conn, appointment, appointment.confirm())


def confirm_hold(engine: Engine, principal: Principal, hold_id: int) -> Doc:
    """Turn a live hold into a booking ('scheduled'). Expired → HoldExpired (409)."""
    with unit.transaction(engine) as conn:
        return confirm_locked(conn, _locked(conn, principal, hold_id))


def release_hold(engine: Engine, principal: Principal, hold_id: int) -> Doc:
    """Give a hold back (status 'cancelled', event hold.released); no-op if already gone."""
    with unit.transaction(engine) as conn:
        hold = _locked(conn, principal, hold_id)
        return appointments.apply_change(conn, hold, hold.release())


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
        appt = _locked(conn, principal, appointment_id)
        target = ident(dentist_id, "dentist id") if dentist_id is not None else appt.dentist_id
        act_for(principal, patient_id=appt.patient_id, dentist_id=target)
        appt.ensure_movable()
        clinic, dentist, chosen = booking_context(conn, target, appt.treatment)
        appointments.sweep_expired_holds(conn, target)
        ensure_free_slot(conn, clinic, dentist, chosen, starts_at, exclude_appointment_id=appt.id)
        return appointments.update_appointment(
            conn, appt.id, starts_at=starts_at, dentist_id=target
        )


def cancel(engine: Engine, principal: Principal, appointment_id: int, *, reason: str = "") -> Doc:
    """Cancel (idempotent); the reason is appended to the notes."""
    reason = text_arg(reason, "reason", max_len=500)
    with unit.transaction(engine) as conn:
        appt = _locked(conn, principal, appointment_id)
        change = appt.cancel(reason, patient_scoped=principal.patient_scoped, now=_now())
        return appointments.apply_change(conn, appt, change)


def set_status(engine: Engine, principal: Principal, appointment_id: int, status: str) -> Doc:
    """Move along the allowed transitions (`domain.status.Status`); illegal → 409.
    Patients (and the bot on their behalf) may only confirm or cancel."""
    new = settable_status(status, patient_scoped=principal.patient_scoped)
    with unit.transaction(engine) as conn:
        appt = _locked(conn, principal, appointment_id)
        change = appt.set_status(new, patient_scoped=principal.patient_scoped, now=_now())
        return appointments.apply_change(conn, appt, change)


def _now() -> dt.datetime:
    return dt.datetime.now(UTC)


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
