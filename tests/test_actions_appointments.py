"""Listing, cancelling and rescheduling a patient's own appointments (real seeded DB)."""

from __future__ import annotations

from typing import Any

from booking_support import PATIENT1, PATIENT2
from bot_support import (  # noqa: F401
    bot_db,
    choice,
    next_weekday,
    rows,
    run,
    run_events,
    said,
    tracker,
)
from sqlalchemy import Engine

from actions.appointments import ActionAskAppointmentId, ActionAskCancelConfirmed
from actions.booking import ActionBookingOutcome
from actions.forms import ValidateCancelForm, ValidateRescheduleForm
from actions.my_bookings import ActionListAppointments
from chatbot.services import booking


def _book(engine: Engine, who: Any = PATIENT1, isodow: int = 2, hour: int = 10) -> dict:
    pid = who.patient_id
    return booking.book(
        engine,
        who,
        patient_id=pid,
        dentist_id=1,
        treatment="checkup",
        starts_at=next_weekday(isodow, hour),
    )


def _yes_to_cancel(picked: dict) -> dict:
    """The slots the cancel form sets when "yes" answers "Cancel …?"."""
    trk = tracker(
        "yes",
        "affirm",
        form="cancel_form",
        slots={**picked, "requested_slot": "cancel_confirmed"},
        set_now={"cancel_confirmed": True},
    )
    return run(ValidateCancelForm(), trk)[1]


def _status(engine: Engine, ref: int) -> dict:
    return rows(engine, "SELECT status, starts_at FROM appointment WHERE id = :i", i=ref)[0]


def test_list_shows_only_the_callers_appointments(seeded_engine: Engine) -> None:
    _book(seeded_engine)
    _book(seeded_engine, PATIENT2, hour=14)
    messages, _ = run(ActionListAppointments(), tracker("my appointments", "list_appointments"))
    text = said(messages)
    assert "Check-up with Dr Anna Lee" in text and "10:00" in text and "14:00" not in text
    messages, _ = run(ActionListAppointments(), tracker("x", "list_appointments", auth=None))
    assert "Please sign in" in said(messages)


def test_a_cancel_read_as_a_wish_to_see_them_starts_the_cancel() -> None:
    trk = tracker("could you please scrap my upcoming bookings", "list_appointments")
    assert [e.get("name") for e in run_events(ActionListAppointments(), trk)] == ["cancel_form"]
    for asked in ("which bookings do I have coming up", "when is my appointment tomorrow?"):
        plain = tracker(asked, "list_appointments")  # seeing them, never a new booking
        assert all(e["event"] != "followup" for e in run_events(ActionListAppointments(), plain))


def test_cancel_picks_the_only_appointment_asks_and_cancels_on_yes(seeded_engine: Engine) -> None:
    doc = _book(seeded_engine)
    _, picked = run(ValidateCancelForm(), tracker("cancel my appointment", "cancel_appointment"))
    assert picked["appointment_id"] == str(doc["id"])
    messages, _ = run(ActionAskCancelConfirmed(), tracker(slots=picked, form="cancel_form"))
    assert "Cancel your Check-up with Dr Anna Lee" in said(messages)
    done = _yes_to_cancel(picked)
    assert (
        done["outcome"] == "cancelled"
        and _status(seeded_engine, doc["id"])["status"] == "cancelled"
    )
    messages, _ = run(ActionBookingOutcome(), tracker(slots=done))
    assert "is cancelled" in said(messages)


def test_cancel_answered_no_keeps_the_appointment(seeded_engine: Engine) -> None:
    doc = _book(seeded_engine)
    trk = tracker(
        "no",
        "deny",
        form="cancel_form",
        slots={"appointment_id": str(doc["id"]), "requested_slot": "cancel_confirmed"},
        set_now={"cancel_confirmed": False},
    )
    _, done = run(ValidateCancelForm(), trk)
    assert done["outcome"] == "kept" and _status(seeded_engine, doc["id"])["status"] == "scheduled"


def test_with_several_appointments_the_day_named_picks_one(seeded_engine: Engine) -> None:
    _book(seeded_engine, isodow=2)
    thursday = _book(seeded_engine, isodow=4)
    _, picked = run(ValidateCancelForm(), tracker("cancel thursday's one", "cancel_appointment"))
    assert picked.get("appointment_id") in (str(thursday["id"]), None)
    messages, _ = run(ActionAskAppointmentId(), tracker(form="cancel_form"))
    assert "Which appointment would you like to cancel?" in said(messages)
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert len(titles) == 3 and titles[-1] == "Both of them"


def test_someone_elses_appointment_cannot_be_picked(seeded_engine: Engine) -> None:
    _book(seeded_engine)
    other = _book(seeded_engine, PATIENT2, hour=15)
    trk = tracker(
        "/choose_appointment",
        "choose_appointment",
        form="cancel_form",
        slots={"requested_slot": "appointment_id"},
        set_now={"appointment_id": str(other["id"])},
    )
    messages, slots = run(ValidateCancelForm(), trk)
    assert slots["appointment_id"] is None and "not found" in said(messages)
    assert _status(seeded_engine, other["id"])["status"] == "scheduled"


def test_no_upcoming_appointments_ends_the_form_with_a_hint() -> None:
    _, slots = run(ValidateCancelForm(), tracker("cancel my appointment", "cancel_appointment"))
    assert slots["requested_slot"] is None and slots["outcome"] == "no_appointments"


def test_reschedule_moves_the_appointment_on_yes(seeded_engine: Engine) -> None:
    doc = _book(seeded_engine)
    _, picked = run(
        ValidateRescheduleForm(), tracker("move my appointment", "reschedule_appointment")
    )
    assert picked["appointment_id"] == str(doc["id"]) and picked["treatment"] == "checkup"
    target = next_weekday(4, 11)
    trk = tracker(
        "yes",
        "affirm",
        form="reschedule_form",
        slots={**picked, "slot_choice": choice(1, target), "requested_slot": "confirmed"},
        set_now={"confirmed": True},
    )
    _, done = run(ValidateRescheduleForm(), trk)
    assert done["outcome"] == "rescheduled"
    assert _status(seeded_engine, doc["id"])["starts_at"] == target


def test_reschedule_to_a_slot_taken_meanwhile_apologises(seeded_engine: Engine) -> None:
    doc = _book(seeded_engine)
    target = next_weekday(4, 11)
    booking.book(
        seeded_engine, PATIENT2, patient_id=2, dentist_id=1, treatment="checkup", starts_at=target
    )
    trk = tracker(
        "yes",
        "affirm",
        form="reschedule_form",
        slots={
            "appointment_id": str(doc["id"]),
            "treatment": "checkup",
            "slot_choice": choice(1, target),
            "requested_slot": "confirmed",
        },
        set_now={"confirmed": True},
    )
    messages, slots = run(ValidateRescheduleForm(), trk)
    assert "someone else just took that time" in said(messages)
    assert slots["slot_choice"] is None and slots["confirmed"] is None
    assert _status(seeded_engine, doc["id"])["starts_at"] == next_weekday(2, 10)


def test_moving_the_only_appointment_to_a_day_picks_it(seeded_engine: Engine) -> None:
    tuesday = _book(seeded_engine, isodow=2)
    trk = tracker("actually could we move that to thursday", "reschedule_appointment")
    _, picked = run(ValidateRescheduleForm(), trk)
    assert picked["appointment_id"] == str(tuesday["id"])


def test_a_place_in_the_appointment_buttons_picks_that_appointment(seeded_engine: Engine) -> None:
    _book(seeded_engine, isodow=2)
    thursday = _book(seeded_engine, isodow=4)
    messages, _ = run(ActionAskAppointmentId(), tracker(form="cancel_form"))
    assert len(messages[0]["buttons"]) == 3 and "Thu" in messages[0]["buttons"][1]["title"]
    trk = tracker(
        "the second one", "inform", form="cancel_form", slots={"requested_slot": "appointment_id"}
    )
    _, picked = run(ValidateCancelForm(), trk)
    assert picked["appointment_id"] == str(thursday["id"])


def test_cancel_all_of_them_lists_them_asks_once_and_cancels_every_one(
    seeded_engine: Engine,
) -> None:
    docs = [_book(seeded_engine, isodow=d) for d in (2, 3, 4)]
    other = _book(seeded_engine, PATIENT2, isodow=2, hour=14)
    asked = tracker(form="cancel_form", slots={"requested_slot": "appointment_id"})
    messages, _ = run(ActionAskAppointmentId(), asked)
    assert messages[0]["buttons"][-1]["title"] == "All 3 of them"
    trk = tracker(
        "all of them please",
        "inform",
        form="cancel_form",
        slots={"requested_slot": "appointment_id"},
    )
    _, picked = run(ValidateCancelForm(), trk)
    assert picked["appointment_id"] == "all"
    messages, _ = run(ActionAskCancelConfirmed(), tracker(slots=picked, form="cancel_form"))
    assert said(messages).startswith("Cancel all of these?") and said(messages).count("•") == 3
    done = _yes_to_cancel(picked)
    assert {_status(seeded_engine, d["id"])["status"] for d in docs} == {"cancelled"}
    assert _status(seeded_engine, other["id"])["status"] == "scheduled"  # never another's
    messages, _ = run(ActionBookingOutcome(), tracker(slots=done))
    assert said(messages) == "Done: 3 appointments cancelled."


def test_cancel_all_said_up_front_and_both_of_two(seeded_engine: Engine) -> None:
    for d in (2, 3):
        _book(seeded_engine, isodow=d)
    for text in ("cancel all my appointments", "I need to cancel both", "cancel them all"):
        _, picked = run(ValidateCancelForm(), tracker(text, "cancel_appointment"))
        assert picked["appointment_id"] == "all", text
    # the cancel form started by another action (the words of a "list my appointments")
    _, picked = run(ValidateCancelForm(), tracker("scrap all of my bookings", "list_appointments"))
    assert picked["appointment_id"] == "all"
    _book(seeded_engine, isodow=4)  # "both" of three is not all of them
    for text in ("cancel both", "not all of them, just one"):
        _, picked = run(ValidateCancelForm(), tracker(text, "cancel_appointment"))
        assert "appointment_id" not in picked, text
    # moving "all of them" is not a thing: it asks which
    _, picked = run(
        ValidateRescheduleForm(), tracker("move all of them to friday", "reschedule_appointment")
    )
    assert picked.get("appointment_id") != "all"
