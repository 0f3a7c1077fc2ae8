"""Booking-core services against the real database (demo seed, clinic in Europe/Berlin)."""

from __future__ import annotations

import datetime as dt

import pytest
from booking_support import (
    ADMIN,
    BERLIN,
    BOT,
    DENTIST1,
    DENTIST2,
    PATIENT1,
    PATIENT2,
    outbox_max,
    outbox_since,
    weekday_at,
)
from sqlalchemy import Engine, event, text

from chatbot.domain.models import WeeklyHours
from chatbot.errors import (
    Forbidden,
    HoldExpired,
    IllegalTransition,
    InvalidInput,
    NotFound,
    OutsideAvailability,
    SlotTaken,
)
from chatbot.services import availability, booking, catalog, schedule, slot_search
from chatbot.services.slot_days import DbSlotSource
from chatbot.services.slot_search import SlotQuery


def starts(slots: list) -> set[dt.datetime]:
    return {s.starts_at for s in slots}


def day_slots(
    engine: Engine, day_start: dt.datetime, dentist_id: int = 1, treatment: str = "checkup"
):
    return availability.free_slots(
        engine,
        treatment=treatment,
        dentist_id=dentist_id,
        start=day_start.replace(hour=0, minute=0),
        end=day_start.replace(hour=23, minute=59),
    )


# --- catalog ---------------------------------------------------------------------------------


def test_catalog_lookups_are_forgiving(seeded_engine: Engine) -> None:
    e = seeded_engine
    assert catalog.get_clinic(e).timezone == "Europe/Berlin"
    assert [d.display_name for d in catalog.list_dentists(e)] == [
        "Dr Anna Lee",
        "Dr Marco Rossi",
        "Dr Priya Shah",
    ]
    for query in ("dr lee", "Lee", "anna", "Dr. Anna Lee", "ana lee"):
        assert [d.id for d in catalog.find_dentists(e, name=query)] == [1], query
    assert [d.id for d in catalog.find_dentists(e, name="dr rosi")] == [2]
    assert catalog.find_dentists(e, name="dr") == []
    assert [d.id for d in catalog.find_dentists(e, treatment="root canal")] == [1, 2]
    assert [d.id for d in catalog.find_dentists(e, treatment="whitening", name="priya")] == [3]
    for query, code in [
        ("check up", "checkup"),
        ("Check-up", "checkup"),
        ("Root canal", "root_canal"),
        ("ROOT_CANAL", "root_canal"),
        ("I need a root canal please", "root_canal"),
        ("cheskup", "checkup"),
        ("scale and polish", "cleaning"),
    ]:
        assert catalog.get_treatment(e, query).code == code, query
    with pytest.raises(NotFound, match="We offer: Check-up"):
        catalog.get_treatment(e, "haircut")
    with pytest.raises(NotFound):
        catalog.get_dentist(e, 99)
    assert catalog.get_dentist(e, 2).name == "Marco Rossi"


# --- free slots ------------------------------------------------------------------------------


def test_free_slots_default_window_sorted_inside_hours(seeded_engine: Engine) -> None:
    slots = availability.free_slots(seeded_engine, treatment="checkup")
    assert slots, "the seed has weekday hours"
    assert [s.sort_key for s in slots] == sorted(s.sort_key for s in slots)
    hours = {1: (9, 17), 2: (8, 16), 3: (10, 18)}
    now = dt.datetime.now(dt.timezone.utc)
    for s in slots:
        local = s.starts_at.astimezone(BERLIN)
        lo, hi = hours[s.dentist_id]
        assert local.isoweekday() <= 5
        assert dt.time(lo) <= local.time() and s.ends_at.astimezone(BERLIN).time() <= dt.time(hi)
        assert local.minute % 15 == 0
        assert now + dt.timedelta(minutes=60) <= s.starts_at < now + dt.timedelta(days=14)
        assert s.to_json()["starts_at"].endswith(("+01:00", "+02:00"))


def test_free_slots_uses_at_most_five_queries(seeded_engine: Engine) -> None:
    statements: list[str] = []
    event.listen(seeded_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    for days in (1, 14, 90):
        statements.clear()
        now = dt.datetime.now(dt.timezone.utc)
        availability.free_slots(
            seeded_engine, treatment="checkup", start=now, end=now + dt.timedelta(days=days)
        )
        assert len(statements) <= 5, statements


def test_free_slots_filters_by_dentist_and_treatment(seeded_engine: Engine) -> None:
    e = seeded_engine
    assert {s.dentist_id for s in availability.free_slots(e, treatment="root canal")} == {1, 2}
    assert {
        s.dentist_id for s in availability.free_slots(e, treatment="checkup", dentist_id=3)
    } == {3}
    with pytest.raises(InvalidInput, match="does not offer"):
        availability.free_slots(e, treatment="root_canal", dentist_id=3)
    with pytest.raises(NotFound):
        availability.free_slots(e, treatment="checkup", dentist_id=42)
    assert len(availability.free_slots(e, treatment="checkup", limit=3)) == 3
    first = slot_search.earliest(DbSlotSource(e), SlotQuery("whitening", limit=2))
    assert len(first) == 2 and all(s.dentist_id in (1, 3) for s in first)


def test_min_notice_and_horizon(seeded_engine: Engine) -> None:
    now = weekday_at(9, 7)  # a Wednesday, 09:07 Berlin
    slots = availability.free_slots(
        seeded_engine,
        treatment="checkup",
        dentist_id=1,
        now=now,
        start=now,
        end=now + dt.timedelta(hours=3),
    )
    assert min(s.starts_at for s in slots) == now.replace(hour=10, minute=15)
    far = now + dt.timedelta(days=89)
    beyond = availability.free_slots(
        seeded_engine, treatment="checkup", now=now, start=far, end=far + dt.timedelta(days=2)
    )
    assert all(s.starts_at < now + dt.timedelta(days=90) for s in beyond)
    with pytest.raises(InvalidInput, match="at most"):
        availability.free_slots(
            seeded_engine, treatment="checkup", start=now, end=now + dt.timedelta(days=200)
        )


def test_booking_removes_its_slot_and_buffer(seeded_engine: Engine) -> None:
    ten = weekday_at(10)
    before = starts(day_slots(seeded_engine, ten))
    assert {ten.replace(hour=9, minute=30), ten, ten.replace(minute=30)} <= before
    booking.book(
        seeded_engine, ADMIN, patient_id=1, dentist_id=1, treatment="checkup", starts_at=ten
    )
    after = starts(day_slots(seeded_engine, ten))
    # busy [10:00, 10:40): 09:30 (its buffer would overlap), 09:45 .. 10:30 are gone
    gone = {ten.replace(hour=9, minute=30), ten.replace(hour=9, minute=45)}
    gone |= {ten, ten.replace(minute=15), ten.replace(minute=30)}
    assert before - after == gone
    assert ten.replace(minute=45) in after and ten.replace(hour=9, minute=15) in after


# --- booking writes --------------------------------------------------------------------------


def test_book_rejects_times_that_are_not_free_slots(seeded_engine: Engine) -> None:
    e = seeded_engine
    kwargs = {"patient_id": 1, "dentist_id": 1, "treatment": "checkup"}
    with pytest.raises(OutsideAvailability, match="no Check-up slot"):
        booking.book(e, ADMIN, **kwargs, starts_at=weekday_at(10, 5))  # off the 15-min grid
    with pytest.raises(OutsideAvailability):
        booking.book(e, ADMIN, **kwargs, starts_at=weekday_at(10, isodow=6))  # Saturday
    with pytest.raises(OutsideAvailability):
        booking.book(e, ADMIN, **kwargs, starts_at=weekday_at(16, 45))  # ends after 17:00
    with pytest.raises(OutsideAvailability, match="notice"):
        soon = dt.datetime.now(BERLIN) + dt.timedelta(minutes=20)
        booking.book(e, ADMIN, **kwargs, starts_at=soon)
    with pytest.raises(OutsideAvailability, match="90 days"):
        booking.book(e, ADMIN, **kwargs, starts_at=weekday_at(10, weeks_ahead=20))
    with pytest.raises(InvalidInput, match="past"):
        booking.book(e, ADMIN, **kwargs, starts_at=weekday_at(10, weeks_ahead=-2))
    with pytest.raises(InvalidInput, match="does not offer"):
        booking.book(
            e, ADMIN, patient_id=1, dentist_id=3, treatment="root canal", starts_at=weekday_at(11)
        )
    booking.book(e, ADMIN, **kwargs, starts_at=weekday_at(10))
    with pytest.raises(SlotTaken, match="just taken"):
        booking.book(
            e, ADMIN, patient_id=2, dentist_id=1, treatment="filling", starts_at=weekday_at(9, 30)
        )


def test_hold_confirm_release(seeded_engine: Engine) -> None:
    e = seeded_engine
    hold = booking.hold_slot(
        e, PATIENT1, patient_id=1, dentist_id=2, treatment="filling", starts_at=weekday_at(11)
    )
    assert hold["status"] == "held" and hold["hold_expires_at"] is not None
    assert hold["treatment"] == "filling" and hold["patient_id"] == 1
    with pytest.raises(SlotTaken):  # a live hold blocks others
        booking.book(
            e, ADMIN, patient_id=2, dentist_id=2, treatment="checkup", starts_at=weekday_at(11, 30)
        )
    done = booking.confirm_hold(e, PATIENT1, hold["id"])
    assert (
        done["status"] == "scheduled"
        and done["hold_expires_at"] is None
        and done["id"] == hold["id"]
    )
    assert booking.confirm_hold(e, PATIENT1, hold["id"]) == done  # idempotent
    with pytest.raises(InvalidInput, match="cancel it instead"):
        booking.release_hold(e, PATIENT1, hold["id"])
    other = booking.hold_slot(
        e, ADMIN, patient_id=2, dentist_id=2, treatment="checkup", starts_at=weekday_at(14)
    )
    assert booking.release_hold(e, ADMIN, other["id"])["status"] == "cancelled"
    assert weekday_at(14) in starts(day_slots(e, weekday_at(14), dentist_id=2))
    with pytest.raises(NotFound):  # patient 1 cannot see patient 2's hold
        booking.confirm_hold(e, PATIENT1, other["id"])


def test_hold_expiry(seeded_engine: Engine) -> None:
    e = seeded_engine
    at = weekday_at(12)
    hold = booking.hold_slot(
        e, ADMIN, patient_id=1, dentist_id=1, treatment="checkup", starts_at=at, ttl_s=60
    )
    assert at not in starts(day_slots(e, at))  # live hold blocks
    with e.begin() as conn:
        conn.execute(
            text(
                "UPDATE appointment SET hold_expires_at = now() - interval '1 second' WHERE id = :i"
            ),
            {"i": hold["id"]},
        )
    assert at in starts(day_slots(e, at))  # expired hold no longer blocks
    with pytest.raises(HoldExpired):
        booking.confirm_hold(e, ADMIN, hold["id"])
    taken = booking.book(e, ADMIN, patient_id=2, dentist_id=1, treatment="checkup", starts_at=at)
    assert taken["status"] == "scheduled"
    assert booking.get_appointment(e, ADMIN, hold["id"])["status"] == "expired"  # swept
    with pytest.raises(HoldExpired):
        booking.confirm_hold(e, ADMIN, hold["id"])


def test_reschedule_keeps_id_and_frees_old_time(seeded_engine: Engine) -> None:
    e = seeded_engine
    appt = booking.book(
        e, PATIENT1, patient_id=1, dentist_id=1, treatment="checkup", starts_at=weekday_at(9)
    )
    mark = outbox_max(e)
    moved = booking.reschedule(
        e, PATIENT1, appt["id"], starts_at=weekday_at(9, 15)
    )  # overlaps itself
    assert moved["id"] == appt["id"] and moved["starts_at"] != appt["starts_at"]
    events = outbox_since(e, mark)
    assert [ev["type"] for ev in events] == ["appointment.updated"]
    moved = booking.reschedule(e, PATIENT1, appt["id"], starts_at=weekday_at(8), dentist_id=2)
    assert moved["dentist_id"] == 2
    assert weekday_at(9) in starts(day_slots(e, weekday_at(9)))
    blocker = booking.book(
        e, ADMIN, patient_id=2, dentist_id=1, treatment="filling", starts_at=weekday_at(15)
    )
    with pytest.raises(SlotTaken):
        booking.reschedule(e, PATIENT1, appt["id"], starts_at=weekday_at(15), dentist_id=1)
    with pytest.raises(InvalidInput, match="does not offer"):
        booking.reschedule(e, ADMIN, blocker["id"], starts_at=weekday_at(15), dentist_id=3)
    with pytest.raises(Forbidden):  # a dentist cannot move bookings onto a colleague
        booking.reschedule(e, DENTIST1, blocker["id"], starts_at=weekday_at(11), dentist_id=2)
    with pytest.raises(NotFound):
        booking.reschedule(e, PATIENT2, appt["id"], starts_at=weekday_at(11))


def test_cancel_and_status_transitions(seeded_engine: Engine) -> None:
    e = seeded_engine
    appt = booking.book(
        e, ADMIN, patient_id=1, dentist_id=1, treatment="checkup", starts_at=weekday_at(13)
    )
    assert booking.set_status(e, PATIENT1, appt["id"], "confirmed")["status"] == "confirmed"
    with pytest.raises(Forbidden):
        booking.set_status(e, PATIENT1, appt["id"], "arrived")
    with pytest.raises(IllegalTransition, match="cannot become completed"):
        booking.set_status(e, DENTIST1, appt["id"], "completed")
    with pytest.raises(NotFound):  # another dentist's appointment is invisible
        booking.set_status(e, DENTIST2, appt["id"], "arrived")
    assert booking.set_status(e, DENTIST1, appt["id"], "arrived")["status"] == "arrived"
    assert booking.set_status(e, DENTIST1, appt["id"], "completed")["status"] == "completed"
    with pytest.raises(IllegalTransition, match="cannot be cancelled"):
        booking.cancel(e, ADMIN, appt["id"])
    with pytest.raises(InvalidInput, match="Unknown status"):
        booking.set_status(e, ADMIN, appt["id"], "teleported")

    other = booking.book(
        e, ADMIN, patient_id=2, dentist_id=1, treatment="checkup", starts_at=weekday_at(14)
    )
    done = booking.cancel(e, PATIENT2, other["id"], reason="feeling better")
    assert done["status"] == "cancelled" and done["notes"] == "Cancelled: feeling better"
    mark = outbox_max(e)
    assert booking.cancel(e, PATIENT2, other["id"])["status"] == "cancelled"  # idempotent
    assert outbox_since(e, mark) == []
    assert weekday_at(14) in starts(day_slots(e, weekday_at(14)))


def test_listing_is_role_filtered(seeded_engine: Engine) -> None:
    e = seeded_engine
    a = booking.book(
        e, ADMIN, patient_id=1, dentist_id=1, treatment="checkup", starts_at=weekday_at(10)
    )
    b = booking.book(
        e, ADMIN, patient_id=2, dentist_id=2, treatment="checkup", starts_at=weekday_at(10)
    )
    c = booking.book(
        e, ADMIN, patient_id=1, dentist_id=3, treatment="checkup", starts_at=weekday_at(11)
    )
    booking.cancel(e, ADMIN, c["id"])
    ids = lambda docs: [d["id"] for d in docs]  # noqa: E731
    assert ids(booking.list_appointments(e, PATIENT1)) == [a["id"]]
    assert ids(booking.list_appointments(e, PATIENT1, include_cancelled=True)) == [a["id"], c["id"]]
    assert ids(booking.list_appointments(e, DENTIST2)) == [b["id"]]
    assert ids(booking.list_appointments(e, ADMIN)) == [a["id"], b["id"]]
    assert ids(booking.list_appointments(e, ADMIN, dentist_id=1)) == [a["id"]]
    assert (
        ids(booking.list_appointments(e, ADMIN, start=weekday_at(10, 30), end=weekday_at(12))) == []
    )
    with pytest.raises(Forbidden):
        booking.list_appointments(e, PATIENT1, patient_id=2)
    with pytest.raises(NotFound):
        booking.get_appointment(e, PATIENT2, a["id"])
    assert booking.get_appointment(e, DENTIST1, a["id"]) == a
    with pytest.raises(Forbidden):
        booking.book(
            e, PATIENT2, patient_id=1, dentist_id=1, treatment="checkup", starts_at=weekday_at(15)
        )
    rows = schedule.dentist_schedule(
        e, DENTIST1, dentist_id=1, start=weekday_at(0), end=weekday_at(23)
    )
    assert [(r["id"], r["patient_name"], r["treatment_name"]) for r in rows] == [
        (a["id"], "Alice Novak", "Check-up")
    ]
    with pytest.raises(Forbidden):
        schedule.dentist_schedule(
            e, PATIENT1, dentist_id=1, start=weekday_at(0), end=weekday_at(23)
        )
    with pytest.raises(Forbidden):
        schedule.dentist_schedule(
            e, DENTIST2, dentist_id=1, start=weekday_at(0), end=weekday_at(23)
        )


def test_handoff_request(seeded_engine: Engine) -> None:
    e = seeded_engine
    hid = booking.request_handoff(
        e, ADMIN, patient_id=1, sender="patient-1", reason="talk to a human"
    )
    assert hid > 0
    assert (
        booking.request_handoff(e, PATIENT2, patient_id=None, sender="patient-2", reason="x") > hid
    )
    with pytest.raises(Forbidden):
        booking.request_handoff(e, PATIENT2, patient_id=1, sender="patient-2", reason="x")


# --- availability writes ---------------------------------------------------------------------


def test_set_weekly_hours_replaces_from_a_date(seeded_engine: Engine) -> None:
    e = seeded_engine
    wed = weekday_at(9, weeks_ahead=2)
    next_wed = wed + dt.timedelta(days=7)
    availability.set_weekly_hours(
        e,
        DENTIST1,
        dentist_id=1,
        hours=[WeeklyHours(3, dt.time(7), dt.time(9)), WeeklyHours(3, dt.time(13), dt.time(14))],
        valid_from=wed.date() - dt.timedelta(days=2),
        valid_to=wed.date(),
    )
    got = starts(day_slots(e, wed))
    assert min(got) == wed.replace(hour=7) and max(got) == wed.replace(hour=13, minute=30)
    assert wed.replace(hour=10) not in got
    assert not day_slots(e, wed - dt.timedelta(days=1))  # Tuesday inside the range: no hours
    assert wed.replace(hour=10) + dt.timedelta(days=7) in starts(day_slots(e, next_wed))  # resumes
    assert wed.replace(hour=10) - dt.timedelta(days=7) in starts(
        day_slots(e, wed - dt.timedelta(days=7))
    )
    with pytest.raises(InvalidInput, match="overlap"):
        availability.set_weekly_hours(
            e,
            ADMIN,
            dentist_id=1,
            hours=[
                WeeklyHours(1, dt.time(9), dt.time(12)),
                WeeklyHours(1, dt.time(11), dt.time(13)),
            ],
            valid_from=wed.date(),
        )
    with pytest.raises(InvalidInput, match="past"):
        availability.set_weekly_hours(
            e, ADMIN, dentist_id=1, hours=[], valid_from=dt.date(2020, 1, 1)
        )
    with pytest.raises(Forbidden):
        availability.set_weekly_hours(e, DENTIST2, dentist_id=1, hours=[], valid_from=wed.date())
    with pytest.raises(Forbidden):
        availability.set_weekly_hours(e, BOT, dentist_id=1, hours=[], valid_from=wed.date())


def test_block_time_and_extra_hours(seeded_engine: Engine) -> None:
    e = seeded_engine
    wed = weekday_at(9)
    availability.block_time(
        e,
        DENTIST1,
        dentist_id=1,
        starts_at=wed.replace(hour=12),
        ends_at=wed.replace(hour=17),
        reason="dentist conference",
    )
    got = starts(day_slots(e, wed))
    assert max(got) == wed.replace(hour=11, minute=30)
    sat = weekday_at(9, isodow=6)
    assert not day_slots(e, sat)
    availability.add_extra_hours(
        e, ADMIN, dentist_id=1, starts_at=sat.replace(hour=10), ends_at=sat.replace(hour=12)
    )
    assert min(starts(day_slots(e, sat))) == sat.replace(hour=10)
    booked = booking.book(
        e, PATIENT1, patient_id=1, dentist_id=1, treatment="checkup", starts_at=sat.replace(hour=11)
    )
    assert booked["status"] == "scheduled"
    with pytest.raises(Forbidden):
        availability.block_time(
            e, DENTIST2, dentist_id=1, starts_at=wed, ends_at=wed + dt.timedelta(hours=1)
        )
    with pytest.raises(InvalidInput, match="past"):
        availability.block_time(
            e,
            ADMIN,
            dentist_id=1,
            starts_at=wed - dt.timedelta(days=30),
            ends_at=wed - dt.timedelta(days=29),
        )
    with pytest.raises(InvalidInput, match="at most 1 days"):
        availability.add_extra_hours(
            e, ADMIN, dentist_id=1, starts_at=sat, ends_at=sat + dt.timedelta(days=3)
        )
