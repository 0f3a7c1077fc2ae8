"""A dentist's schedule (dentist page, `dentist_my_schedule` in the bot)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine

from chatbot.auth import Principal
from chatbot.errors import Forbidden
from chatbot.repositories import appointments, unit
from chatbot.services.guards import ident, window


def dentist_schedule(
    engine: Engine,
    principal: Principal,
    *,
    dentist_id: int,
    start: dt.datetime,
    end: dt.datetime,
) -> list[dict[str, Any]]:
    """Live appointments and holds of one dentist overlapping [start, end), ordered by start:
    each the appointment doc plus `patient_name` and `treatment_name`. Dentist (own) or
    admin."""
    dentist_id = ident(dentist_id, "dentist id")
    if principal.role != "admin" and not (
        principal.role == "dentist" and principal.dentist_id == dentist_id
    ):
        raise Forbidden("Only that dentist or the clinic may see this schedule.")
    start, end = window(start, end, max_days=92)
    with unit.transaction(engine) as conn:
        return appointments.schedule_rows(conn, dentist_id, start, end)
