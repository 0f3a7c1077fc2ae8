"""Per-patient limits on self-service writes.

A patient, or the bot acting for one (the chat path calls the same services with the
patient's own identity), may hold at most `live_holds` slots while confirming, and have at
most `future_appointments` upcoming appointments, live holds included (a hold is an
appointment about to be confirmed). Clinic staff (admin, dentist) booking on a patient's
behalf are not limited.

Race safety: for these callers the booking transaction first locks the patient row
(`patients.lock_patient`), so two requests of one patient run one after the other and each
counts what the other committed; the limit cannot be overshot by sending requests in parallel.
"""

from __future__ import annotations

import functools

from sqlalchemy import Connection

from chatbot.auth import Principal
from chatbot.config import PatientLimits, Settings
from chatbot.errors import LimitReached
from chatbot.repositories import appointments


@functools.cache
def from_env() -> PatientLimits:
    """`APP_MAX_LIVE_HOLDS_PER_PATIENT` / `APP_MAX_FUTURE_APPOINTMENTS_PER_PATIENT` (2 / 8),
    read once per process (the action server's default; the web app passes its settings)."""
    return Settings.from_env().patient_limits


def ensure_room(
    conn: Connection,
    principal: Principal,
    patient_id: int,
    *,
    hold: bool,
    limits: PatientLimits | None = None,
) -> None:
    """Raise LimitReached unless this patient may add one hold (`hold=True`) or one booking.
    Call with the patient row locked (see module docstring)."""
    if not principal.patient_scoped:
        return
    limits = limits or from_env()
    live_holds, booked = appointments.patient_commitments(conn, patient_id)
    if hold and live_holds >= limits.live_holds:
        raise LimitReached(
            f"You are already holding {live_holds} time(s) while you confirm; please confirm "
            "or release one before picking another."
        )
    if booked + live_holds >= limits.future_appointments:
        raise LimitReached(
            f"You already have {booked + live_holds} upcoming appointment(s), the most that can "
            "be booked online. Please call the clinic to book more."
        )
