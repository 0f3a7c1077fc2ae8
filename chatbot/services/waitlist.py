"""The waitlist as patients and the front desk use it: join, look, leave, answer an offer.

Offers themselves are made by `services.waitlist_matching`. Answering goes through the hold:
accepting confirms it (the booking flow's own `confirm_locked`), declining releases it; the
offer row follows its hold by trigger, so an offer can never say "open" for a dead hold.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, Engine

from chatbot.auth import Principal
from chatbot.domain.appointment import Appointment
from chatbot.domain.status import Status
from chatbot.errors import HoldExpired, InvalidInput, LimitReached, NotFound
from chatbot.repositories import appointments, catalog, patients, unit, waitlist
from chatbot.services import booking
from chatbot.services.catalog import match_treatment
from chatbot.services.guards import act_for, ident, window
from chatbot.services.slot_check import booking_context

UTC = dt.timezone.utc
MAX_WAITING_PER_PATIENT = 5
Doc = dict[str, Any]


def entry_doc(row: dict[str, Any]) -> Doc:
    return {
        "id": row["id"],
        "patient_id": row["patient_id"],
        "patient_name": row["patient_name"],
        "treatment": row["treatment"],
        "dentist_id": row["dentist_id"],
        "from": row["window_start"].isoformat(),
        "to": row["window_end"].isoformat(),
        "status": row["status"],
        "created_at": row["created_at"].isoformat(),
        "offer": row["offer"],
    }


def join(
    engine: Engine,
    principal: Principal,
    *,
    patient_id: int,
    treatment: str,
    start: dt.datetime,
    end: dt.datetime,
    dentist_id: int | None = None,
) -> Doc:
    """Put a patient in line for `treatment` starting in [start, end), with one dentist or
    any. At most five waiting entries per patient (→ LimitReached)."""
    patient_id = ident(patient_id, "patient id")
    if dentist_id is not None:
        dentist_id = ident(dentist_id, "dentist id")
    act_for(principal, patient_id=patient_id, dentist_id=None)
    with unit.transaction(engine) as conn:
        clinic = catalog.fetch_clinic(conn)
        start, end = window(start, end, max_days=clinic.horizon_days + 1)
        start = max(start, dt.datetime.now(UTC))
        if end <= start:
            raise InvalidInput("That time is already in the past.")
        chosen = _treatment_for(conn, treatment, dentist_id)
        if not patients.lock_patient(conn, patient_id):
            raise NotFound(f"There is no patient with id {patient_id}.")
        if waitlist.count_waiting(conn, patient_id) >= MAX_WAITING_PER_PATIENT:
            raise LimitReached(
                f"You are already waiting for {MAX_WAITING_PER_PATIENT} times; "
                "leave one of them first."
            )
        entry_id = waitlist.insert_entry(
            conn,
            patient_id=patient_id,
            treatment_id=catalog.treatment_id(conn, chosen),
            dentist_id=dentist_id,
            start=start,
            end=end,
        )
        return entry_doc(waitlist.entries(conn, entry_id=entry_id)[0])


def _treatment_for(conn: Connection, treatment: str, dentist_id: int | None) -> str:
    """The treatment code (checked to be offered by the dentist when one is named)."""
    if dentist_id is not None:
        return booking_context(conn, dentist_id, treatment)[2].code
    return match_treatment(catalog.fetch_treatments(conn), treatment).code


def list_entries(engine: Engine, principal: Principal) -> list[Doc]:
    """Waiting entries in line order: a patient's own; all of them for admins."""
    if not principal.patient_scoped:
        principal.require("admin")
    with unit.transaction(engine) as conn:
        rows = waitlist.entries(
            conn, patient_id=principal.patient_id if principal.patient_scoped else None
        )
    return [entry_doc(r) for r in rows]


def _own_entry(conn: Connection, principal: Principal, entry_id: Any) -> dict[str, Any]:
    entry_id = ident(entry_id, "waitlist id")
    row = waitlist.lock_entry(conn, entry_id)
    if row is None or not (principal.is_admin or principal.may_see(None, row["patient_id"])):
        raise NotFound(f"Waitlist entry {entry_id} was not found.")
    return row


def _open_hold(conn: Connection, entry: dict[str, Any]) -> Appointment | None:
    """The locked hold of the entry's open offer, or None."""
    offer = waitlist.last_offer(conn, entry["id"])
    if offer is None or offer["status"] != "open":
        return None
    return appointments.lock_appointment(conn, offer["appointment_id"])


def accept(engine: Engine, principal: Principal, entry_id: int) -> Doc:
    """Book the offered slot (the hold becomes 'scheduled'); the entry is done."""
    with unit.transaction(engine) as conn:
        entry = _own_entry(conn, principal, entry_id)
        hold = _open_hold(conn, entry)
        if hold is None:
            last = waitlist.last_offer(conn, entry["id"])
            if last is not None and last["status"] == "expired":
                raise HoldExpired("The offer expired and went to the next patient in line.")
            raise NotFound("There is no open offer for this waitlist entry.")
        return booking.confirm_locked(conn, hold)


def decline(engine: Engine, principal: Principal, entry_id: int) -> None:
    """Say no to the offered slot: it passes on; the patient stays in line for others."""
    with unit.transaction(engine) as conn:
        entry = _own_entry(conn, principal, entry_id)
        hold = _open_hold(conn, entry)
        if hold is None:
            raise NotFound("There is no open offer for this waitlist entry.")
        _release(conn, hold)


def leave(engine: Engine, principal: Principal, entry_id: int) -> None:
    """Leave the line (an open offer is released with it)."""
    with unit.transaction(engine) as conn:
        entry = _own_entry(conn, principal, entry_id)
        hold = _open_hold(conn, entry)
        if hold is not None:
            _release(conn, hold)
        if entry["status"] == "waiting":
            waitlist.set_entry_status(conn, entry["id"], "removed")


def _release(conn: Connection, hold: Appointment) -> None:
    if hold.status is Status.HELD:
        appointments.apply_change(conn, hold, hold.release())
