"""Helpers for the waitlist tests: a fully booked window and a crowd of patients."""

from __future__ import annotations

import datetime as dt
from typing import Any

from booking_support import ADMIN, BERLIN
from sqlalchemy import Engine, text

from chatbot.services import availability, booking


def add_patients(engine: Engine, n: int) -> list[int]:
    with engine.begin() as conn:
        rows = conn.execute(
            text(
                "INSERT INTO patient (name) SELECT 'Waiting Patient ' || g"
                " FROM generate_series(1, :n) g RETURNING id"
            ),
            {"n": n},
        )
        return sorted(r[0] for r in rows)


def fill(
    engine: Engine, start: dt.datetime, end: dt.datetime, dentist_ids: list[int], patient_id: int
) -> list[dict[str, Any]]:
    """Book every check-up slot of these dentists in [start, end) back to back; returns the
    bookings in start order per dentist."""
    booked: list[dict[str, Any]] = []
    for dentist_id in dentist_ids:
        busy_until = start
        for slot in availability.free_slots(
            engine, treatment="checkup", start=start, end=end, dentist_id=dentist_id
        ):
            if slot.starts_at < busy_until:
                continue
            doc = booking.book(
                engine, ADMIN, patient_id=patient_id, dentist_id=dentist_id,
                treatment="checkup", starts_at=slot.starts_at,
            )  # fmt: skip
            booked.append(doc)
            busy_until = dt.datetime.fromisoformat(doc["ends_at"]) + dt.timedelta(minutes=10)
    return booked


def day_window(day: dt.date, days: int = 1) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(), BERLIN)
    return start, dt.datetime.combine(day + dt.timedelta(days=days), dt.time(), BERLIN)


def open_offers(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT * FROM waitlist_offer WHERE status = 'open' ORDER BY id")
        ).mappings()
        return [dict(r) for r in rows]
