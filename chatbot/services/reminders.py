"""Appointment reminders: claiming the due ones (exactly once, see the 0005 migration) and the
bot's question "which appointment is this patient answering?".

Time comes from the caller (`now`), never from the database clock, so the scheduler's clock can
be injected and tests can move it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from chatbot.auth import Principal
from chatbot.repositories import reminders, unit
from chatbot.services.guards import act_for, aware, ident


@dataclass(frozen=True)
class DueReminder:
    """One claimed reminder with what a sender needs to word it."""

    appointment: dict[str, Any]
    event_id: int
    patient_name: str
    patient_email: str
    dentist_name: str
    treatment_name: str
    clinic_name: str
    clinic_tz: ZoneInfo

    @property
    def local_start(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.appointment["starts_at"]).astimezone(self.clinic_tz)


def claim_due(
    engine: Engine,
    *,
    now: dt.datetime,
    lead: dt.timedelta,
    instance: str,
    limit: int = 100,
) -> list[DueReminder]:
    """Claim reminders due at `now` and write their `appointment.reminder` events, in one
    transaction. Safe to call from any number of processes at once: each reminder is returned
    by exactly one call, ever. Appointments that already started are never reminded."""
    now = aware(now, "now")
    with unit.transaction(engine) as conn:
        rows = reminders.claim_due(conn, now=now, lead=lead, limit=limit, instance=instance)
    return [
        DueReminder(
            appointment=dict(r["doc"]),
            event_id=int(r["event_id"]),
            patient_name=r["patient_name"],
            patient_email=r["patient_email"],
            dentist_name=r["dentist_name"],
            treatment_name=r["treatment_name"],
            clinic_name=r["clinic_name"],
            clinic_tz=ZoneInfo(r["clinic_timezone"]),
        )
        for r in rows
    ]


def reminded_appointment(
    engine: Engine, principal: Principal, patient_id: int, *, now: dt.datetime
) -> dict[str, Any] | None:
    """The upcoming appointment this patient was last reminded of (None if none)."""
    patient_id = ident(patient_id, "patient id")
    act_for(principal, patient_id=patient_id, dentist_id=None)
    with unit.transaction(engine) as conn:
        return reminders.last_reminded(conn, patient_id, now=aware(now, "now"))
