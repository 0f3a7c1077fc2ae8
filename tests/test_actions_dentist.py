"""Dentist chat commands: weekly hours, time off, schedule; patients are refused."""

from __future__ import annotations

import datetime as dt

import pytest
from booking_support import PATIENT1
from bot_support import bot_db, next_weekday, rows, run, said, tracker  # noqa: F401
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import Engine

from actions import context
from actions.dentist import (
    ActionDentistBlockTime,
    ActionDentistSetHours,
    ActionDentistUnblockTime,
)
from actions.my_bookings import ActionDentistMySchedule, ActionListAppointments
from chatbot.services import booking


def _rules(engine: Engine, dentist: int = 1) -> list[dict]:
    return rows(
        engine,
        "SELECT isodow, start_time, end_time, valid_from FROM availability_rule"
        " WHERE dentist_id = :d AND (valid_to IS NULL) ORDER BY valid_from, isodow",
        d=dentist,
    )


def test_set_weekly_hours_from_next_week(seeded_engine: Engine) -> None:
    trk = tracker("I work Mon–Thu 9–5 from next week", "dentist_set_hours", auth="dentist-1")
    messages, _ = run(ActionDentistSetHours(), trk)
    today = context.now().date()
    monday = today + dt.timedelta(days=7 - today.weekday())
    new = [r for r in _rules(seeded_engine) if r["valid_from"] == monday]
    assert [r["isodow"] for r in new] == [1, 2, 3, 4], said(messages)
    assert {(r["start_time"], r["end_time"]) for r in new} == {(dt.time(9), dt.time(17))}
    assert "Done" in said(messages)


def test_taking_time_off_misread_as_unblock_still_blocks(seeded_engine: Engine) -> None:
    trk = tracker("hi, I'm off on the 18th", "dentist_unblock_time", auth="dentist-2")
    messages, _ = run(ActionDentistUnblockTime(), trk)
    off = rows(seeded_engine, "SELECT starts_at FROM availability_exception WHERE dentist_id = 2")
    assert len(off) == 1 and off[0]["starts_at"].astimezone(context.clinic().tz).day == 18
    assert "Blocked" in said(messages)


def test_a_time_right_after_a_block_is_one_more_block(seeded_engine: Engine) -> None:
    """ "and tuesday 1-2pm" after a block is read as a booking, which dentists do not make
    here: the booking outcome blocks it instead of saying booking is for patients."""
    from actions.booking import ActionBookingOutcome

    trk = tracker(
        "and tuesday 1-2pm", "book_appointment", auth="dentist-2", slots={"outcome": "not_patient"}
    )
    before = [
        {"event": "user", "text": "block next monday 1-2pm", "parse_data": {}},
        {"event": "action", "name": "action_dentist_block_time"},
        {"event": "action", "name": "action_listen"},
    ]
    trk.events = [*before, *trk.events]
    messages, _ = run(ActionBookingOutcome(), trk)
    off = rows(seeded_engine, "SELECT starts_at FROM availability_exception WHERE dentist_id = 2")
    assert "Blocked" in said(messages) and len(off) == 1
    assert off[0]["starts_at"].astimezone(context.clinic().tz).isoweekday() == 2
    trk.events = trk.events[len(before) :]  # no block just before: the usual answer
    messages, _ = run(ActionBookingOutcome(), trk)
    assert "for patients" in said(messages)


def test_block_an_afternoon(seeded_engine: Engine) -> None:
    trk = tracker("block Friday 2–5pm", "dentist_block_time", auth="dentist-2")
    messages, _ = run(ActionDentistBlockTime(), trk)
    off = rows(seeded_engine, "SELECT dentist_id, starts_at, ends_at FROM availability_exception")
    tz = context.clinic().tz
    assert len(off) == 1 and off[0]["dentist_id"] == 2, said(messages)
    start, end = off[0]["starts_at"].astimezone(tz), off[0]["ends_at"].astimezone(tz)
    assert start.isoweekday() == 5 and (start.hour, end.hour) == (14, 17)


@pytest.mark.parametrize(
    "text",
    ["I'm out every afternoon next week after 2", "block each thursday morning", "off on fridays"],
)
def test_a_repeating_block_writes_nothing_and_says_how(seeded_engine: Engine, text: str) -> None:
    messages, _ = run(
        ActionDentistBlockTime(), tracker(text, "dentist_block_time", auth="dentist-2")
    )
    assert "one stretch of time" in said(messages) and "I work" in said(messages)
    assert rows(seeded_engine, "SELECT id FROM availability_exception") == []


def test_days_off_over_a_date_range(seeded_engine: Engine) -> None:
    run(
        ActionDentistBlockTime(),
        tracker("I'm off 24–28 Dec", "dentist_block_time", auth="dentist-1"),
    )
    off = rows(seeded_engine, "SELECT starts_at, ends_at FROM availability_exception")
    tz = context.clinic().tz
    start, end = off[0]["starts_at"].astimezone(tz), off[0]["ends_at"].astimezone(tz)
    assert (start.month, start.day, start.hour) == (12, 24, 0)
    assert (end - start) == dt.timedelta(days=5)


def test_my_schedule_lists_the_days_patients(seeded_engine: Engine) -> None:
    start = next_weekday(3, 10)
    booking.book(
        seeded_engine, PATIENT1, patient_id=1, dentist_id=1, treatment="checkup", starts_at=start
    )
    text = f"my schedule on {start:%A %d %B}".replace(" 0", " ")
    messages, _ = run(
        ActionDentistMySchedule(), tracker(text, "dentist_my_schedule", auth="dentist-1")
    )
    assert "10:00" in said(messages) and "Alice Novak" in said(messages)
    messages, _ = run(
        ActionDentistMySchedule(), tracker(text, "dentist_my_schedule", auth="dentist-2")
    )
    assert "Nothing booked" in said(messages)


def test_patients_are_refused_and_nothing_changes(seeded_engine: Engine) -> None:
    before = _rules(seeded_engine)
    for action, text in (
        (ActionDentistSetHours(), "I work Mon–Thu 9–5 from next week"),
        (ActionDentistBlockTime(), "block Friday 2–5pm"),
    ):
        messages, _ = run(action, tracker(text, auth="patient-1"))
        assert "only dentists" in said(messages)
        messages, _ = run(action, tracker(text, auth=None))
        assert "Please sign in" in said(messages)
    messages, _ = run(ActionDentistMySchedule(), tracker("my schedule tomorrow", auth=None))
    assert "Please sign in" in said(messages)
    misread = tracker(
        "Afternoon! My crown came off, can someone glue it back on?", auth="patient-1"
    )
    messages, events = run(ActionDentistBlockTime(), misread)
    # no "only dentists" refusal to a patient who asked for help: asked to say it again
    assert [m.get("response") for m in messages] == ["utter_ask_rephrase"] and events == {}
    assert _rules(seeded_engine) == before
    assert rows(seeded_engine, "SELECT id FROM availability_exception") == []


def test_my_schedule_and_my_appointments_follow_the_callers_role(seeded_engine: Engine) -> None:
    """The two intents overlap ("my appointments tomorrow"): each role gets its own view."""
    start = next_weekday(3, 10)
    booking.book(
        seeded_engine, PATIENT1, patient_id=1, dentist_id=1, treatment="checkup", starts_at=start
    )
    text = f"my appointments on {start:%A %d %B}".replace(" 0", " ")
    messages, _ = run(ActionDentistMySchedule(), tracker(text, "dentist_my_schedule"))
    assert "Your upcoming appointments" in said(messages), said(messages)
    messages, _ = run(
        ActionListAppointments(), tracker(text, "list_appointments", auth="dentist-1")
    )
    assert "Your schedule" in said(messages) and "Alice Novak" in said(messages)


def test_recurring_hours_come_from_the_whole_message() -> None:
    """The resolver's whole-message reading: weekdays, daily hours, the first day they apply."""
    from actions.dentist import weekly_hours

    now = context.now()
    parsed = weekly_hours("i'll work mornings only from next month, 8-12 mon-fri", now)
    assert parsed is not None
    hours, valid_from = parsed
    assert [(h.isodow, h.start, h.end) for h in hours] == [
        (d, dt.time(8), dt.time(12)) for d in range(1, 6)
    ]
    first_of_next_month = (now.date().replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    assert valid_from == first_of_next_month


def test_not_available_names_the_time_to_block(seeded_engine: Engine) -> None:
    from actions.dentist import ActionDentistBlockTime

    text = "I'm not available wednesday from 1 to 4pm, block it"
    messages, _ = run(ActionDentistBlockTime(), tracker(text, auth="dentist-2"))
    assert "Blocked" in said(messages) and "13:00" in said(messages)
    blocks = rows(seeded_engine, "SELECT dentist_id FROM availability_exception")
    assert blocks == [{"dentist_id": 2}]


def test_a_time_typed_after_which_time_continues_the_block() -> None:
    from actions.conversation import ActionRouteInform
    from actions.dentist import ActionDentistBlockTime

    _, slots = run(ActionDentistBlockTime(), tracker("block it please", auth="dentist-1"))
    assert slots == {"suggested": "block"}
    trk = tracker("wednesday 13:00-16:00", "inform", auth="dentist-1", slots=slots)
    events = ActionRouteInform().run(CollectingDispatcher(), trk, {})
    assert [e.get("name") for e in events if e.get("event") == "followup"] == [
        "action_dentist_block_time"
    ]
