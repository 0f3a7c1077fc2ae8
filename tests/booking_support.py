"""Helpers shared by the booking-core tests (real Postgres, demo seed)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text

from chatbot.auth import Principal

BERLIN = ZoneInfo("Europe/Berlin")
ADMIN = Principal(sub="admin", role="admin")
BOT = Principal(sub="chatbot-1", role="chatbot", patient_id=1)  # the bot, for patient 1 only
PATIENT1 = Principal(sub="patient-1", role="patient", patient_id=1)
PATIENT2 = Principal(sub="patient-2", role="patient", patient_id=2)
DENTIST1 = Principal(sub="dentist-1", role="dentist", dentist_id=1)
DENTIST2 = Principal(sub="dentist-2", role="dentist", dentist_id=2)

TABLES = (
    "appointment",
    "availability_rule",
    "availability_exception",
    "handoff_request",
    "sync_event",
    "patient",
    "dentist",
    "treatment",
)


def weekday_at(hour: int, minute: int = 0, *, weeks_ahead: int = 1, isodow: int = 3) -> dt.datetime:
    """A Berlin local time on a working weekday (default Wednesday) `weeks_ahead` weeks out."""
    today = dt.datetime.now(BERLIN).date()
    day = today + dt.timedelta(days=(isodow - today.isoweekday()) % 7 + 7 * weeks_ahead)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BERLIN)


def outbox_max(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT coalesce(max(id), 0) FROM sync_event")).scalar_one())


def outbox_since(engine: Engine, last_id: int) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT * FROM sync_event WHERE id > :id ORDER BY id"), {"id": last_id}
        ).mappings()
        return [dict(r) for r in rows]


def snapshot(engine: Engine) -> dict[str, Any]:
    """Row counts, the newest outbox id and every appointment's state: 'DB unchanged' checks."""
    with engine.connect() as conn:
        state: dict[str, Any] = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES
        }
        state["outbox_max"] = conn.execute(text("SELECT max(id) FROM sync_event")).scalar()
        state["appointments"] = conn.execute(
            text("SELECT id, status, starts_at, dentist_id FROM appointment ORDER BY id")
        ).all()
        state["rules"] = conn.execute(text("SELECT * FROM availability_rule ORDER BY id")).all()
    return state
