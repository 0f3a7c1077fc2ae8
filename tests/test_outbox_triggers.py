"""Every change path writes exactly one outbox row (right type, ids, data); failures none."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from booking_support import ADMIN, DENTIST1, outbox_max, outbox_since, weekday_at
from sqlalchemy import Engine, text

from chatbot import db
from chatbot.domain.models import WeeklyHours
from chatbot.errors import OutsideAvailability, SlotTaken
from chatbot.repositories import unit
from chatbot.services import availability, booking


def one_event(engine: Engine, action: Callable[[], Any]) -> tuple[dict[str, Any], Any]:
    mark = outbox_max(engine)
    result = action()
    events = outbox_since(engine, mark)
    assert len(events) == 1, [e["type"] for e in events]
    return events[0], result


def sql(engine: Engine, statement: str, **params: Any) -> None:
    with engine.begin() as conn:
        conn.execute(text(statement), params)


def get(engine: Engine, appointment_id: int) -> dict[str, Any]:
    return booking.get_appointment(engine, ADMIN, appointment_id)


def test_appointment_paths(seeded_engine: Engine) -> None:
    e = seeded_engine
    kw = {"patient_id": 2, "dentist_id": 1, "treatment": "checkup"}

    ev, doc = one_event(e, lambda: booking.book(e, ADMIN, **kw, starts_at=weekday_at(10)))
    assert (ev["type"], ev["dentist_id"], ev["patient_id"]) == ("appointment.created", 1, 2)
    assert ev["data"] == doc and ev["data"]["id"] == doc["id"]

    ev, doc = one_event(
        e, lambda: booking.reschedule(e, ADMIN, doc["id"], starts_at=weekday_at(11))
    )
    assert ev["type"] == "appointment.updated" and ev["data"] == doc

    ev, doc = one_event(e, lambda: booking.set_status(e, DENTIST1, doc["id"], "confirmed"))
    assert ev["type"] == "appointment.updated" and ev["data"]["status"] == "confirmed"

    ev, doc = one_event(e, lambda: booking.cancel(e, ADMIN, doc["id"], reason="ill"))
    assert ev["type"] == "appointment.cancelled" and ev["data"] == doc

    ev, _ = one_event(e, lambda: sql(e, "DELETE FROM appointment WHERE id = :i", i=doc["id"]))
    assert ev["type"] == "appointment.deleted" and ev["data"]["id"] == doc["id"]


def test_update_without_rows_or_changes_writes_nothing(seeded_engine: Engine) -> None:
    e = seeded_engine
    doc = booking.book(
        e, ADMIN, patient_id=1, dentist_id=1, treatment="checkup", starts_at=weekday_at(9)
    )
    mark = outbox_max(e)
    sql(e, "UPDATE appointment SET notes = notes WHERE id = :i", i=doc["id"])
    sql(e, "UPDATE appointment SET notes = 'x' WHERE id = -1")
    assert outbox_since(e, mark) == []


def test_hold_paths(seeded_engine: Engine) -> None:
    e = seeded_engine
    kw = {"patient_id": 1, "dentist_id": 2, "treatment": "filling"}

    ev, hold = one_event(e, lambda: booking.hold_slot(e, ADMIN, **kw, starts_at=weekday_at(9)))
    assert (ev["type"], ev["dentist_id"], ev["patient_id"]) == ("hold.created", 2, 1)
    assert ev["data"] == hold and hold["status"] == "held"

    ev, done = one_event(e, lambda: booking.confirm_hold(e, ADMIN, hold["id"]))
    assert ev["type"] == "appointment.created" and ev["data"] == done
    assert done["status"] == "scheduled"

    ev, hold = one_event(e, lambda: booking.hold_slot(e, ADMIN, **kw, starts_at=weekday_at(12)))
    ev, gone = one_event(e, lambda: booking.release_hold(e, ADMIN, hold["id"]))
    assert ev["type"] == "hold.released" and ev["data"] == gone and gone["status"] == "cancelled"

    ev, hold = one_event(e, lambda: booking.hold_slot(e, ADMIN, **kw, starts_at=weekday_at(14)))
    ev, _ = one_event(e, lambda: sql(e, "DELETE FROM appointment WHERE id = :i", i=hold["id"]))
    assert ev["type"] == "hold.released" and ev["data"]["id"] == hold["id"]


def test_expiry_sweep_writes_one_release_per_hold(seeded_engine: Engine) -> None:
    e = seeded_engine
    kw = {"patient_id": 1, "dentist_id": 1, "treatment": "checkup"}
    holds = [booking.hold_slot(e, ADMIN, **kw, starts_at=weekday_at(h)) for h in (9, 10)]
    sql(e, "UPDATE appointment SET hold_expires_at = now() - interval '1 minute'")
    mark = outbox_max(e)
    doc = booking.book(e, ADMIN, **kw, starts_at=weekday_at(9))  # sweeps, then books
    events = outbox_since(e, mark)
    assert [ev["type"] for ev in events] == [
        "hold.released",
        "hold.released",
        "appointment.created",
    ]
    assert sorted(ev["data"]["id"] for ev in events[:2]) == sorted(h["id"] for h in holds)
    assert {ev["data"]["status"] for ev in events[:2]} == {"expired"}
    assert events[2]["data"] == doc


def test_availability_paths(seeded_engine: Engine) -> None:
    e = seeded_engine
    ev, _ = one_event(
        e,
        lambda: sql(
            e,
            "INSERT INTO availability_rule (dentist_id, isodow, start_time, end_time, valid_from)"
            " VALUES (3, 6, '09:00', '12:00', '2027-01-01')",
        ),
    )
    assert (ev["type"], ev["dentist_id"], ev["patient_id"]) == ("availability.updated", 3, None)
    assert ev["data"]["source"] == "availability_rule" and ev["data"]["op"] == "insert"
    rule_id = ev["data"]["row"]["id"]
    ev, _ = one_event(
        e,
        lambda: sql(e, "UPDATE availability_rule SET end_time = '13:00' WHERE id = :i", i=rule_id),
    )
    assert ev["data"]["op"] == "update" and ev["data"]["row"]["end_time"] == "13:00:00"
    ev, _ = one_event(e, lambda: sql(e, "DELETE FROM availability_rule WHERE id = :i", i=rule_id))
    assert ev["data"]["op"] == "delete" and ev["dentist_id"] == 3

    start = weekday_at(9)
    ev, exc_id = one_event(
        e,
        lambda: availability.block_time(
            e, DENTIST1, dentist_id=1, starts_at=start, ends_at=start + dt.timedelta(hours=2)
        ),
    )
    assert ev["data"]["source"] == "availability_exception" and ev["data"]["row"]["id"] == exc_id
    assert ev["data"]["row"]["kind"] == "off" and ev["dentist_id"] == 1
    ev, _ = one_event(
        e, lambda: sql(e, "UPDATE availability_exception SET reason = 'x' WHERE id = :i", i=exc_id)
    )
    assert ev["data"]["op"] == "update"
    ev, _ = one_event(
        e, lambda: sql(e, "DELETE FROM availability_exception WHERE id = :i", i=exc_id)
    )
    assert ev["data"]["op"] == "delete"
    ev, extra_id = one_event(
        e,
        lambda: availability.add_extra_hours(
            e, ADMIN, dentist_id=1, starts_at=start.replace(hour=18), ends_at=start.replace(hour=19)
        ),
    )
    assert ev["data"]["row"]["kind"] == "extra" and ev["data"]["row"]["id"] == extra_id


def test_set_weekly_hours_writes_one_row_per_rule_change(seeded_engine: Engine) -> None:
    e = seeded_engine
    mark = outbox_max(e)
    availability.set_weekly_hours(
        e,
        ADMIN,
        dentist_id=2,
        hours=[WeeklyHours(1, dt.time(9), dt.time(12))],
        valid_from=weekday_at(9).date(),
    )
    events = outbox_since(e, mark)
    # 5 existing weekday rules closed (update) + 1 new rule (insert)
    assert sorted(ev["data"]["op"] for ev in events) == ["insert"] + ["update"] * 5
    assert {(ev["type"], ev["dentist_id"]) for ev in events} == {("availability.updated", 2)}


def test_handoff_path(seeded_engine: Engine) -> None:
    e = seeded_engine
    ev, hid = one_event(
        e,
        lambda: booking.request_handoff(
            e, ADMIN, patient_id=1, sender="patient-1", reason="human please"
        ),
    )
    assert (ev["type"], ev["patient_id"], ev["dentist_id"]) == ("handoff.requested", 1, None)
    assert ev["data"]["id"] == hid and ev["data"]["reason"] == "human please"


@pytest.mark.parametrize(
    ("starts_at", "error"),
    [(lambda: weekday_at(10), SlotTaken), (lambda: weekday_at(10, 5), OutsideAvailability)],
)
def test_failed_booking_writes_nothing(seeded_engine: Engine, starts_at, error) -> None:
    e = seeded_engine
    booking.book(
        e, ADMIN, patient_id=1, dentist_id=1, treatment="checkup", starts_at=weekday_at(10)
    )
    # an expired hold that the failed call would sweep: the sweep is rolled back as well
    hold = booking.hold_slot(
        e, ADMIN, patient_id=1, dentist_id=1, treatment="checkup", starts_at=weekday_at(12)
    )
    sql(
        e,
        "UPDATE appointment SET hold_expires_at = now() - interval '1 minute' WHERE id = :i",
        i=hold["id"],
    )
    mark = outbox_max(e)
    with pytest.raises(error):
        booking.book(
            e, ADMIN, patient_id=2, dentist_id=1, treatment="checkup", starts_at=starts_at()
        )
    assert outbox_since(e, mark) == []
    assert get(e, hold["id"])["status"] == "held"


def test_constraint_violation_writes_nothing(seeded_engine: Engine) -> None:
    e = seeded_engine
    doc = booking.book(
        e, ADMIN, patient_id=1, dentist_id=1, treatment="checkup", starts_at=weekday_at(10)
    )
    mark = outbox_max(e)
    copy = (
        "INSERT INTO appointment (dentist_id, patient_id, treatment_id, starts_at, ends_at,"
        " blocks_until, status) SELECT dentist_id, patient_id, treatment_id, starts_at, ends_at,"
        " blocks_until, 'scheduled' FROM appointment WHERE id = :i"
    )
    with pytest.raises(SlotTaken), unit.transaction(e) as conn:
        conn.execute(text(copy), {"i": doc["id"]})
    assert outbox_since(e, mark) == []


def test_notify_payload_is_the_outbox_id(seeded_engine: Engine, db_url: str) -> None:
    with psycopg.connect(db.libpq_url(db_url), autocommit=True) as listener:
        listener.execute("LISTEN sync_events")
        doc = booking.book(
            seeded_engine,
            ADMIN,
            patient_id=1,
            dentist_id=1,
            treatment="checkup",
            starts_at=weekday_at(10),
        )
        notes = list(listener.notifies(timeout=5, stop_after=1))
    [event] = outbox_since(seeded_engine, outbox_max(seeded_engine) - 1)
    assert [n.payload for n in notes] == [str(event["id"])]
    assert event["data"]["id"] == doc["id"]
