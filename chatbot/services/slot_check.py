"""The check every booking write makes before it writes: is this start a free slot now?"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection

from chatbot.domain import slots as slot_rules
from chatbot.domain.models import Clinic, Dentist, Treatment
from chatbot.errors import InvalidInput, OutsideAvailability, SlotTaken
from chatbot.repositories import catalog, unit
from chatbot.services.availability import load_day_inputs
from chatbot.services.catalog import match_treatment
from chatbot.services.slot_search import offering

UTC = dt.timezone.utc


def ensure_free_slot(
    conn: Connection,
    clinic: Clinic,
    dentist: Dentist,
    treatment: Treatment,
    starts_at: dt.datetime,
    *,
    exclude_appointment_id: int | None = None,
) -> None:
    """Raise unless `starts_at` is a free slot of `dentist` for `treatment` right now."""
    now = dt.datetime.now(UTC)
    rules, exceptions, busy = load_day_inputs(
        conn,
        [dentist.id],
        starts_at,
        starts_at + dt.timedelta(minutes=1),
        exclude_appointment_id=exclude_appointment_id,
    )
    problem = slot_rules.slot_problem(
        rules, exceptions, busy, treatment, clinic, dentist.id, starts_at, now
    )
    local = starts_at.astimezone(clinic.tz).strftime("%a %d %b %Y %H:%M")
    if problem == "past":
        raise InvalidInput(f"{local} is in the past.")
    if problem == "too_soon":
        raise OutsideAvailability(
            f"Bookings need at least {clinic.min_notice_min} minutes' notice; {local} is too soon."
        )
    if problem == "too_far":
        raise OutsideAvailability(f"We book at most {clinic.horizon_days} days ahead.")
    if problem == "outside_hours":
        raise OutsideAvailability(
            f"{dentist.display_name} has no {treatment.name} slot starting {local}. "
            "Ask me for free times to see what is available."
        )
    if problem == "taken":
        raise SlotTaken(unit.SLOT_TAKEN_MSG)


def booking_context(
    conn: Connection, dentist_id: int, treatment: str
) -> tuple[Clinic, Dentist, Treatment]:
    clinic = catalog.fetch_clinic(conn)
    chosen = match_treatment(catalog.fetch_treatments(conn), treatment)
    dentist = offering(catalog.fetch_dentists(conn, [dentist_id]), chosen, dentist_id)[0]
    return clinic, dentist, chosen
