"""Bad input gets the named error and leaves the database exactly as it was."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from booking_support import ADMIN, DENTIST1, PATIENT1, snapshot, weekday_at
from db_support import SEED_TODAY, create_database, drop_database
from sqlalchemy import Engine

from chatbot import db
from chatbot.domain.models import WeeklyHours
from chatbot.errors import Forbidden, HoldExpired, InvalidInput, NotFound, OutsideAvailability
from chatbot.seed import seed_demo
from chatbot.services import availability, booking, catalog, schedule

SQLISH = "'; DROP TABLE appointment;--"
DAY = dt.timedelta(days=1)


@pytest.fixture(scope="module")
def shared_engine(pg_root_url: str, template_url: str) -> Iterator[Engine]:
    """One seeded database for all cases (each case must leave it unchanged anyway)."""
    url = create_database(pg_root_url, template_url)
    engine = db.make_engine(url)
    with engine.begin() as conn:
        seed_demo(conn, SEED_TODAY)
    booking.book(
        engine, ADMIN, patient_id=1, dentist_id=1, treatment="checkup", starts_at=weekday_at(10)
    )
    yield engine
    engine.dispose()
    drop_database(pg_root_url, url)


def book(**overrides: Any) -> Callable[[Engine], Any]:
    kwargs = {"patient_id": 2, "dentist_id": 1, "treatment": "checkup", "starts_at": weekday_at(11)}
    return lambda e: booking.book(e, ADMIN, **(kwargs | overrides))


def block(**overrides: Any) -> Callable[[Engine], Any]:
    kwargs = {"dentist_id": 1, "starts_at": weekday_at(9), "ends_at": weekday_at(10)}
    return lambda e: availability.block_time(e, ADMIN, **(kwargs | overrides))


def hours(hours: list[WeeklyHours], **overrides: Any) -> Callable[[Engine], Any]:
    kwargs = {"dentist_id": 1, "hours": hours, "valid_from": weekday_at(9).date()}
    return lambda e: availability.set_weekly_hours(e, ADMIN, **(kwargs | overrides))


def slots(**overrides: Any) -> Callable[[Engine], Any]:
    return lambda e: availability.free_slots(e, **({"treatment": "checkup"} | overrides))


NAIVE = dt.datetime(2027, 1, 6, 10, 0)
CASES: dict[str, tuple[Callable[[Engine], Any], type[Exception]]] = {
    "unknown dentist": (book(dentist_id=99), NotFound),
    "unknown treatment": (book(treatment="haircut"), NotFound),
    "sql-ish treatment": (book(treatment=SQLISH), NotFound),
    "empty treatment": (book(treatment="  "), InvalidInput),
    "unknown patient": (book(patient_id=99), NotFound),
    "dentist id as text": (book(dentist_id="1; DROP TABLE dentist"), InvalidInput),
    "negative id": (book(patient_id=-1), InvalidInput),
    "huge id": (book(dentist_id=2**40), InvalidInput),
    "bool id": (book(dentist_id=True), InvalidInput),
    "past time": (book(starts_at=weekday_at(11, weeks_ahead=-3)), InvalidInput),
    "naive time": (book(starts_at=NAIVE), InvalidInput),
    "time as text": (book(starts_at="2027-01-06T10:00:00+01:00"), InvalidInput),
    "year 9999": (book(starts_at=dt.datetime(9999, 12, 31, tzinfo=dt.timezone.utc)), InvalidInput),
    "beyond horizon": (book(starts_at=weekday_at(11, weeks_ahead=60)), OutsideAvailability),
    "off grid": (book(starts_at=weekday_at(11, 7)), OutsideAvailability),
    "night": (book(starts_at=weekday_at(3)), OutsideAvailability),
    "not offered": (book(dentist_id=3, treatment="root canal"), InvalidInput),
    "huge notes": (book(notes="x" * 5000), InvalidInput),
    "hold ttl absurd": (
        lambda e: booking.hold_slot(
            e,
            ADMIN,
            patient_id=1,
            dentist_id=1,
            treatment="checkup",
            starts_at=weekday_at(11),
            ttl_s=10**9,
        ),
        InvalidInput,
    ),
    "patient books for another": (
        lambda e: booking.book(
            e, PATIENT1, patient_id=2, dentist_id=1, treatment="checkup", starts_at=weekday_at(11)
        ),
        Forbidden,
    ),
    "reschedule unknown": (
        lambda e: booking.reschedule(e, ADMIN, 999, starts_at=weekday_at(11)),
        NotFound,
    ),
    "reschedule into past": (
        lambda e: booking.reschedule(e, ADMIN, 1, starts_at=weekday_at(11, weeks_ahead=-1)),
        InvalidInput,
    ),
    "reschedule naive": (lambda e: booking.reschedule(e, ADMIN, 1, starts_at=NAIVE), InvalidInput),
    "confirm a booking that is no hold": (
        lambda e: booking.release_hold(e, ADMIN, 1),
        InvalidInput,
    ),
    "confirm unknown hold": (lambda e: booking.confirm_hold(e, ADMIN, 12345), NotFound),
    "cancel unknown": (lambda e: booking.cancel(e, ADMIN, 999), NotFound),
    "cancel id as text": (lambda e: booking.cancel(e, ADMIN, "1 OR 1=1"), InvalidInput),  # type: ignore[arg-type]
    "bad status": (lambda e: booking.set_status(e, ADMIN, 1, SQLISH), InvalidInput),
    "slots end before start": (slots(start=weekday_at(12), end=weekday_at(11)), InvalidInput),
    "slots absurd window": (
        slots(start=weekday_at(9), end=weekday_at(9) + 3650 * DAY),
        InvalidInput,
    ),
    "slots naive": (slots(start=NAIVE, end=NAIVE + DAY), InvalidInput),
    "slots zero limit": (slots(limit=0), InvalidInput),
    "slots sql-ish treatment": (slots(treatment=SQLISH), NotFound),
    "block end before start": (block(ends_at=weekday_at(8)), InvalidInput),
    "block absurd duration": (block(ends_at=weekday_at(9) + 800 * DAY), InvalidInput),
    "block in the past": (
        block(starts_at=weekday_at(9, weeks_ahead=-2), ends_at=weekday_at(10, weeks_ahead=-2)),
        InvalidInput,
    ),
    "block naive": (block(starts_at=NAIVE), InvalidInput),
    "block unknown dentist": (block(dentist_id=99), NotFound),
    "block huge reason": (block(reason="x" * 10_000), InvalidInput),
    "block by other dentist": (
        lambda e: availability.block_time(
            e, DENTIST1, dentist_id=2, starts_at=weekday_at(9), ends_at=weekday_at(10)
        ),
        Forbidden,
    ),
    "extra hours absurd": (
        lambda e: availability.add_extra_hours(
            e, ADMIN, dentist_id=1, starts_at=weekday_at(9), ends_at=weekday_at(9) + 3 * DAY
        ),
        InvalidInput,
    ),
    "hours end before start": (hours([WeeklyHours(1, dt.time(12), dt.time(9))]), InvalidInput),
    "hours bad weekday": (hours([WeeklyHours(8, dt.time(9), dt.time(12))]), InvalidInput),
    "hours overlap": (
        hours([WeeklyHours(2, dt.time(9), dt.time(12)), WeeklyHours(2, dt.time(8), dt.time(10))]),
        InvalidInput,
    ),
    "hours past": (hours([], valid_from=dt.date(2001, 1, 1)), InvalidInput),
    "hours inverted validity": (hours([], valid_to=weekday_at(9).date() - DAY), InvalidInput),
    "hours unknown dentist": (hours([], dentist_id=99), NotFound),
    "handoff empty sender": (
        lambda e: booking.request_handoff(e, ADMIN, patient_id=1, sender=" ", reason="x"),
        InvalidInput,
    ),
    "handoff unknown patient": (
        lambda e: booking.request_handoff(e, ADMIN, patient_id=99, sender="s", reason="x"),
        NotFound,
    ),
    "schedule absurd window": (
        lambda e: schedule.dentist_schedule(
            e, ADMIN, dentist_id=1, start=weekday_at(9), end=weekday_at(9) + 400 * DAY
        ),
        InvalidInput,
    ),
    "treatment lookup sql-ish": (lambda e: catalog.get_treatment(e, SQLISH), NotFound),
    "treatment lookup huge": (lambda e: catalog.get_treatment(e, "x" * 100_000), NotFound),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_named_and_changes_nothing(shared_engine: Engine, case: str) -> None:
    action, error = CASES[case]
    before = snapshot(shared_engine)
    with pytest.raises(error) as info:
        action(shared_engine)
    assert type(info.value) is error  # exactly the named error, not a subclass
    assert str(info.value) and "Traceback" not in str(info.value)
    assert snapshot(shared_engine) == before


def test_expired_hold_confirm_is_named_and_changes_nothing(shared_engine: Engine) -> None:
    hold = booking.hold_slot(
        shared_engine,
        ADMIN,
        patient_id=2,
        dentist_id=2,
        treatment="checkup",
        starts_at=weekday_at(15),
    )
    with shared_engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE appointment SET hold_expires_at = now() - interval '1 s' WHERE id = %(i)s",
            {"i": hold["id"]},
        )
    before = snapshot(shared_engine)
    with pytest.raises(HoldExpired):
        booking.confirm_hold(shared_engine, ADMIN, hold["id"])
    assert snapshot(shared_engine) == before
