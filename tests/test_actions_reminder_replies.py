"""Replies to a reminder act on the appointment reminded of, not on whichever comes first."""

from __future__ import annotations

import datetime as dt
from typing import Any

from booking_support import PATIENT1
from bot_support import bot_db, domain, next_weekday, rows, run, run_events, said, tracker  # noqa: F401
from sqlalchemy import Engine

from actions.conversation import ActionAnswerYesNo
from actions.forms import ValidateCancelForm, ValidateRescheduleForm
from chatbot.services import booking, reminders

LEAD = dt.timedelta(hours=24)


def _book(engine: Engine, isodow: int, hour: int = 10) -> dict[str, Any]:
    return booking.book(
        engine,
        PATIENT1,
        patient_id=1,
        dentist_id=1,
        treatment="checkup",
        starts_at=next_weekday(isodow, hour),
    )


def _remind(engine: Engine, doc: dict[str, Any]) -> None:
    now = dt.datetime.fromisoformat(doc["starts_at"]) - LEAD + dt.timedelta(minutes=1)
    sent = reminders.claim_due(engine, now=now, lead=LEAD, instance="test")
    assert [r.appointment["id"] for r in sent] == [doc["id"]]


def _status(engine: Engine, ref: int) -> str:
    return str(rows(engine, "SELECT status FROM appointment WHERE id = :i", i=ref)[0]["status"])


def _two_with_the_later_reminded(engine: Engine) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two upcoming appointments; the reminder went out for the later one (e.g. the earlier
    one was booked inside its reminder window)."""
    first, second = _book(engine, isodow=2), _book(engine, isodow=4)
    _remind(engine, second)
    return first, second


def test_yes_confirms_the_reminded_appointment(seeded_engine: Engine) -> None:
    first, second = _two_with_the_later_reminded(seeded_engine)
    messages, _ = run(ActionAnswerYesNo(), tracker("yes, I'll be there", "affirm"))
    assert "is confirmed" in said(messages)
    assert _status(seeded_engine, second["id"]) == "confirmed"
    assert _status(seeded_engine, first["id"]) == "scheduled"
    # Answered: a later bare "yes" is no longer taken for a reply to the reminder.
    messages, _ = run(ActionAnswerYesNo(), tracker("ok", "affirm"))
    assert messages[0].get("response") == "utter_what_next"


def test_no_offers_to_cancel_the_reminded_appointment(seeded_engine: Engine) -> None:
    _, second = _two_with_the_later_reminded(seeded_engine)
    events = run_events(ActionAnswerYesNo(), tracker("I can't make it", "deny"))
    assert {"event": "slot", "name": "appointment_id", "value": str(second["id"])} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events
    ]
    assert [e["name"] for e in events if e["event"] == "followup"] == ["cancel_form"]
    assert _status(seeded_engine, second["id"]) == "scheduled"  # asked first, not cancelled


def test_move_it_to_a_day_means_the_reminded_appointment(seeded_engine: Engine) -> None:
    _, second = _two_with_the_later_reminded(seeded_engine)
    _, picked = run(
        ValidateRescheduleForm(),
        tracker("can we move it to Friday?", "reschedule_appointment"),
    )
    assert picked["appointment_id"] == str(second["id"])


def test_a_named_day_still_picks_that_appointment_to_cancel(seeded_engine: Engine) -> None:
    first, _ = _two_with_the_later_reminded(seeded_engine)
    day = dt.datetime.fromisoformat(first["starts_at"]).strftime("%A %d %B")
    _, picked = run(
        ValidateCancelForm(), tracker(f"cancel my appointment on {day}", "cancel_appointment")
    )
    assert picked["appointment_id"] == str(first["id"])


def test_without_a_reminder_nothing_changes(seeded_engine: Engine) -> None:
    first, second = _book(seeded_engine, isodow=2), _book(seeded_engine, isodow=4)
    messages, _ = run(ActionAnswerYesNo(), tracker("yes, I'll be there", "affirm"))
    assert messages[0].get("response") == "utter_what_next"
    messages, _ = run(ActionAnswerYesNo(), tracker("I can't make it", "deny"))
    assert messages[0].get("response") == "utter_anything_else"
    _, picked = run(
        ValidateRescheduleForm(), tracker("can we move it to Friday?", "reschedule_appointment")
    )
    assert "appointment_id" not in picked or picked["appointment_id"] is None
    assert {_status(seeded_engine, d["id"]) for d in (first, second)} == {"scheduled"}
