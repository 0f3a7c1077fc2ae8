"""The conversation never gets stuck: escalating fallback, bare yes/no, booking details out of
the blue, asides inside a form, patients trying dentist commands, constrained buttons."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from booking_support import ADMIN
from bot_support import (  # noqa: F401
    bot_db,
    choice,
    domain,
    next_weekday,
    rows,
    run,
    run_events,
    said,
    tracker,
)
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import Engine

from actions.appointments import ActionAskCancelConfirmed
from actions.booking import ActionAskDentist, ActionAskSlotChoice, ActionBookingOutcome
from actions.conversation import (
    ActionAnswerYesNo,
    ActionFallback,
    ActionRouteInform,
    misunderstandings_in_a_row,
)
from actions.forms import ValidateBookingForm, ValidateCancelForm
from chatbot.services import booking

FORM = ValidateBookingForm()


def _after_misses(misses: int, answered_between: str | None = None) -> Any:
    """A tracker whose last `misses` user turns (this one included) went to the fallback."""
    trk = tracker("blorp zzz", "nlu_fallback")
    events: list[dict[str, Any]] = [
        {"event": "user", "text": "book a checkup"},
        {"event": "action", "name": answered_between or "booking_form"},
        {"event": "action", "name": "action_listen"},
    ]
    for _ in range(misses - 1):
        events += [
            {"event": "user", "text": "???"},
            {"event": "action", "name": "action_fallback"},
            {"event": "action", "name": "action_listen"},
        ]
    trk.events = [*events, *trk.events]
    return trk


def _followups(action: Any, trk: Any) -> list[str]:
    dispatcher = CollectingDispatcher()
    result = action.run(dispatcher, trk, domain())
    events = asyncio.run(result) if asyncio.iscoroutine(result) else result
    return [e["name"] for e in events if e.get("event") == "followup"]


def test_misunderstandings_are_counted_back_to_the_last_understood_turn() -> None:
    assert misunderstandings_in_a_row(_after_misses(1)) == 1
    assert misunderstandings_in_a_row(_after_misses(3)) == 3


def test_fallback_escalates_rephrase_then_menu_then_a_person(seeded_engine: Engine) -> None:
    first, _ = run(ActionFallback(), _after_misses(1))
    assert [m.get("response") for m in first] == ["utter_ask_rephrase"]
    second, _ = run(ActionFallback(), _after_misses(2))
    assert second[0]["response"] == "utter_default"
    titles = [b["title"] for b in second[0]["buttons"]]
    assert titles == ["Book an appointment", "My appointments", "Opening hours", "Talk to a person"]
    third, _ = run(ActionFallback(), _after_misses(3))
    assert third[0]["response"] == "utter_handing_over"
    assert "front desk" in said(third)
    assert len(rows(seeded_engine, "SELECT id FROM handoff_request")) == 1
    fourth, _ = run(ActionFallback(), _after_misses(4))
    assert fourth[0]["response"] == "utter_handoff_pending"  # no second request, no loop
    assert len(rows(seeded_engine, "SELECT id FROM handoff_request")) == 1


@pytest.mark.parametrize(
    ("text", "auth", "form", "started"),
    [
        ("remove all my bookings", "patient-1", None, ["cancel_form"]),
        ("pls get rid of my visit on friday", "patient-1", None, ["cancel_form"]),
        ("could u shift my appointment to later", "patient-1", None, ["reschedule_form"]),
        ("remove all my bookings", "patient-1", "booking_form", []),  # a form is open
        ("remove all my bookings", "dentist-1", None, []),  # dentists have no bookings here
        ("the weather is nice", "patient-1", None, []),
        (
            "sore gum at the back, could a dentist check it next week?",
            "patient-1",
            None,
            ["booking_form"],
        ),
        ("could a dentist see me", "patient-1", None, []),  # no time, no treatment: rephrase
    ],
)
def test_a_not_understood_message_that_names_an_appointment_task_starts_it(
    text: str, auth: str, form: str | None, started: list[str]
) -> None:
    trk = tracker(text, "nlu_fallback", auth=auth, form=form)
    assert _followups(ActionFallback(), trk) == started


def test_another_day_after_an_offer_and_a_dentists_day_are_answered_in_the_turn() -> None:
    """No FollowupAction to a plain action (the policy would predict the fallback after it
    again, a loop): the fallback answers itself."""
    offered = [choice(1, next_weekday(2, 10))]
    trk = tracker("ok what about monday then", "nlu_fallback", slots={"offered_slots": offered})
    messages, slots = run(ActionFallback(), trk)
    assert "free times" in said(messages) and slots["offered_slots"] != offered
    assert all(e["event"] != "followup" for e in run_events(ActionFallback(), trk))
    messages, _ = run(
        ActionFallback(),
        tracker("hi, what's on for me on monday", "nlu_fallback", auth="dentist-1"),
    )
    assert "schedule" in said(messages) or "Nothing booked" in said(messages)


def test_a_yes_after_a_booking_suggestion_starts_the_booking() -> None:
    trk = tracker("sure go ahead", "affirm", slots={"suggested": "book"})
    assert _followups(ActionAnswerYesNo(), trk) == ["booking_form"]


def test_a_bare_yes_or_no_gets_a_useful_answer() -> None:
    offered = [choice(1, next_weekday(2, 10))]
    messages, _ = run(
        ActionAnswerYesNo(), tracker("ok", "affirm", slots={"offered_slots": offered})
    )
    assert [m.get("response") for m in messages] == ["utter_pick_a_time"]
    messages, _ = run(ActionAnswerYesNo(), tracker("ok", "affirm"))
    assert messages[0]["response"] == "utter_what_next" and messages[0]["buttons"]
    messages, _ = run(ActionAnswerYesNo(), tracker("nope", "deny"))
    assert [m.get("response") for m in messages] == ["utter_anything_else"]


def test_booking_details_out_of_the_blue_start_a_booking() -> None:
    for text in ("the 16th, half past ten in the morning?", "get my teeth cleaned", "with anna"):
        entities = [{"entity": "dentist", "value": "anna"}] if "anna" in text else []
        trk = tracker(text, "inform", entities=entities)
        assert _followups(ActionRouteInform(), trk) == ["booking_form"], text
    messages, _ = run(ActionRouteInform(), tracker("hmm ok", "inform"))
    assert messages[0]["response"] == "utter_what_next"


def test_a_question_inside_the_form_is_not_read_as_an_answer() -> None:
    """ "what are your hours on friday?" while the form waits for a day: nothing is filled,
    so the form rejects and the aside rule answers (the window stays unset)."""
    trk = tracker(
        "what are your opening hours on friday?",
        "clinic_info",
        form="booking_form",
        slots={"treatment": "checkup", "dentist": "1", "requested_slot": "when"},
    )
    _, slots = run(FORM, trk)
    assert "when" not in slots


def test_a_patient_typing_a_dentist_command_is_refused_not_booked(seeded_engine: Engine) -> None:
    trk = tracker("block friday 2-5pm", "book_appointment", form="booking_form")
    _, slots = run(FORM, trk)
    assert slots.get("outcome") == "dentist_command"
    messages, _ = run(ActionBookingOutcome(), tracker(slots={"outcome": "dentist_command"}))
    assert "only dentists" in said(messages)
    assert rows(seeded_engine, "SELECT id FROM appointment") == []


def test_treatment_from_lay_words_when_the_entity_is_useless() -> None:
    trk = tracker(
        "I need my teeth cleaned",
        "book_appointment",
        form="booking_form",
        entities=[{"entity": "treatment", "value": "teeth"}],
        slots={"requested_slot": "treatment"},
        set_now={"treatment": "teeth"},
    )
    _, slots = run(FORM, trk)
    assert slots["treatment"] == "cleaning"
    trk = tracker(
        "could you get me in for a filing",
        "book_appointment",
        form="booking_form",
        slots={"requested_slot": "treatment"},
    )
    _, slots = run(FORM, trk)
    assert slots["treatment"] == "filling"


def test_dentist_buttons_only_offer_those_who_do_the_treatment() -> None:
    messages, _ = run(ActionAskDentist(), tracker(slots={"treatment": "cleaning"}))
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert titles == ["Dr Anna Lee", "Dr Priya Shah", "Anyone"]
    messages, _ = run(ActionAskDentist(), tracker(slots={"treatment": "root_canal"}))
    assert [b["title"] for b in messages[0]["buttons"]] == [
        "Dr Anna Lee",
        "Dr Marco Rossi",
        "Anyone",
    ]


def test_back_from_an_aside_the_offer_is_not_listed_again(seeded_engine: Engine) -> None:
    offered = [choice(1, next_weekday(2, 10)), choice(1, next_weekday(2, 11))]
    trk = tracker(
        "ok",
        "clinic_info",
        form="booking_form",
        slots={"treatment": "checkup", "offered_slots": offered, "requested_slot": "slot_choice"},
    )
    messages, _ = run(ActionAskSlotChoice(), trk)
    assert len(messages) == 1 and not messages[0].get("buttons")
    assert "times above" in said(messages)


def test_odd_appointment_ids_are_refused_in_words_never_a_crash(seeded_engine: Engine) -> None:
    start = next_weekday(3, 10)
    who = ADMIN
    other = booking.book(
        seeded_engine, who, patient_id=2, dentist_id=1, treatment="checkup", starts_at=start
    )
    for ref in ("²", "١٢", str(other["id"])):
        messages, _ = run(ActionAskCancelConfirmed(), tracker(slots={"appointment_id": ref}))
        assert "Cancel this appointment?" in said(messages), ref
        trk = tracker(
            "yes",
            "affirm",
            form="cancel_form",
            slots={"appointment_id": ref, "requested_slot": "cancel_confirmed"},
            set_now={"cancel_confirmed": True},
        )
        _, slots = run(ValidateCancelForm(), trk)
        assert slots.get("outcome") != "cancelled", ref
    statuses = rows(seeded_engine, "SELECT status FROM appointment")
    assert statuses == [{"status": "scheduled"}]


def test_a_full_afternoon_offers_later_afternoons_not_mornings(seeded_engine: Engine) -> None:
    from actions import offers
    from chatbot.services import availability
    from chatbot.services.slot_days import DbSlotSource

    noon = next_weekday(2, 12)
    availability.block_time(
        seeded_engine,
        ADMIN,
        dentist_id=1,
        starts_at=noon,
        ends_at=noon.replace(hour=17),
        reason="test",
    )
    found = offers.search(DbSlotSource(seeded_engine), "checkup", 1, noon, noon.replace(hour=17))
    assert found
    tz = noon.tzinfo
    assert all(s.starts_at.astimezone(tz).date() > noon.date() for s in found)
    assert all(12 <= s.starts_at.astimezone(tz).hour < 17 for s in found)


def test_evenings_after_closing_time_offers_the_last_times_of_the_day(
    seeded_engine: Engine,
) -> None:
    """Dr Lee's day ends before the evening: "evenings" (17:00-21:00) gets the last free time
    of each following day, never the next morning's first times."""
    from actions import offers
    from chatbot.services import availability
    from chatbot.services.slot_days import DbSlotSource

    evening = next_weekday(2, 18, 30)
    found = offers.search(
        DbSlotSource(seeded_engine), "checkup", 1, evening, evening.replace(hour=21)
    )
    tz = evening.tzinfo
    every = availability.free_slots(
        seeded_engine,
        treatment="checkup",
        start=evening,
        end=evening + dt.timedelta(days=15),
        dentist_id=1,
    )
    assert found and [s.starts_at for s in found] == sorted(s.starts_at for s in found)
    for slot in found:
        day = slot.starts_at.astimezone(tz).date()
        later = [
            s
            for s in every
            if s.starts_at.astimezone(tz).date() == day and s.starts_at > slot.starts_at
        ]
        assert slot.starts_at.astimezone(tz).date() > evening.date() and not later, slot


def test_a_dentist_named_when_asked_is_an_answer_whatever_the_intent() -> None:
    trk = tracker(
        "I'll go with dr shah",
        "stop",
        form="booking_form",
        entities=[{"entity": "dentist", "value": "shah"}],
        slots={"treatment": "checkup", "requested_slot": "dentist"},
    )
    _, slots = run(FORM, trk)
    assert slots["dentist"] == "3"


def test_faq_topic_from_the_words_when_no_entity() -> None:
    from actions.info import ActionClinicInfo

    messages, _ = run(
        ActionClinicInfo(), tracker("oh btw, anywhere to park close by?", "clinic_info")
    )
    assert "Parking" in said(messages)
    messages, _ = run(ActionClinicInfo(), tracker("how much does a filling cost", "clinic_info"))
    assert "Prices" in said(messages)


def test_availability_needs_a_signed_in_caller(seeded_engine: Engine) -> None:
    from actions.booking import ActionCheckAvailability

    trk = tracker("anything free tomorrow?", "check_availability", auth=None)
    messages, slots = run(ActionCheckAvailability(), trk)
    assert "Please sign in" in said(messages) and not any(m.get("buttons") for m in messages)
    assert slots == {}


def test_another_dentist_named_after_an_offer_searches_again() -> None:
    offered = [choice(1, next_weekday(2, 10)), choice(1, next_weekday(2, 11))]
    trk = tracker(
        "can it be with marco rossi instead?",
        "inform",
        form="booking_form",
        entities=[{"entity": "dentist", "value": "rossi"}],
        slots={
            "treatment": "filling",
            "dentist": "1",
            "offered_slots": offered,
            "requested_slot": "slot_choice",
        },
        set_now={"dentist": "rossi"},
    )
    _, slots = run(FORM, trk)
    assert slots["dentist"] == "2" and slots["offered_slots"] is None


def test_no_with_another_dentist_at_the_confirmation_is_a_correction(
    seeded_engine: Engine,
) -> None:
    start = next_weekday(2, 10)
    held = run(
        FORM,
        tracker(
            "/choose_slot",
            "choose_slot",
            form="booking_form",
            slots={"treatment": "checkup", "dentist": "3", "requested_slot": "slot_choice"},
            set_now={"slot_choice": choice(3, start)},
        ),
    )[1]
    trk = tracker(
        "no, actually I'd rather see Dr Lee",
        "deny",
        form="booking_form",
        entities=[{"entity": "dentist", "value": "lee"}],
        slots={
            "treatment": "checkup",
            "dentist": "3",
            "slot_choice": choice(3, start),
            "hold_id": held["hold_id"],
            "offered_slots": [choice(3, start)],
            "requested_slot": "confirmed",
        },
        set_now={"confirmed": False, "dentist": "lee"},
    )
    _, slots = run(FORM, trk)
    assert slots["dentist"] == "1" and slots["confirmed"] is None
    assert slots.get("outcome") != "declined" and slots["slot_choice"] is None
    statuses = rows(seeded_engine, "SELECT status FROM appointment")
    assert statuses == [{"status": "cancelled"}]  # the old hold was given back


def test_a_question_about_a_dentist_while_choosing_is_not_a_switch() -> None:
    offered = [choice(1, next_weekday(2, 10))]
    trk = tracker(
        "what's dr shah's phone number?",
        "ask_dentist_info",
        form="booking_form",
        entities=[{"entity": "dentist", "value": "shah"}],
        slots={
            "treatment": "checkup",
            "dentist": "1",
            "offered_slots": offered,
            "requested_slot": "slot_choice",
        },
    )
    _, slots = run(FORM, trk)
    assert "dentist" not in slots


def test_a_patient_mentioning_work_hours_still_books() -> None:
    trk = tracker(
        "I work until 5, could I book a checkup after that?",
        "book_appointment",
        form="booking_form",
        entities=[{"entity": "treatment", "value": "checkup"}],
        set_now={"treatment": "checkup"},
    )
    _, slots = run(FORM, trk)
    assert slots.get("outcome") is None and slots.get("treatment") == "checkup"
