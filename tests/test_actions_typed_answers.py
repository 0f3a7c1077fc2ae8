"""Answers people type instead of tapping: a place in the list just shown ("the 2nd one"), a
change of mind while confirming, no preference for a dentist (or going straight to the time),
a treatment named a message or two before "can I book one?", and a second, fuller treatment
question. Each case was a loop or a lost answer before."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from booking_support import PATIENT1
from bot_support import (  # noqa: F401
    bot_db,
    choice,
    domain,
    next_weekday,
    rows,
    run,
    run_events,
    tracker,
)
from sqlalchemy import Engine

from actions import context, offers
from actions.booking import (
    ActionAskDentist,
    ActionAskTreatment,
    ActionBookingOutcome,
    ActionReleaseHold,
)
from actions.conversation import ActionAnswerYesNo, ActionFallback, ActionRouteInform
from actions.form_answers import reads_as_answer, times_asked
from actions.forms import ValidateBookingForm
from actions.slot_picks import ordinal_pick, picked_offer
from chatbot.services import booking

FORM = ValidateBookingForm()


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("the first one is fine", 0),
        ("ill take the 1st one", 0),
        ("2nd one pls", 1),
        ("no wait, make it the third", 2),
        ("Option 4", 3),
        ("number two please", 1),
        ("the last one", 4),
        ("the latest one", 4),
        ("may I have the 2nd one?", 1),
        ("first available", 0),
        # not a place in the list
        ("on the 1st of march", None),
        ("the first week of january", None),
        ("March 3rd", None),
        ("the 2nd one in may", None),
        ("first thing in the morning", None),
        ("the first or the second", None),
        ("the sixth one", None),
        ("book one", None),
        ("10:30", None),
    ],
)
def test_a_place_in_the_list(text: str, index: int | None) -> None:
    assert ordinal_pick(text, 5) == index


def test_a_place_beyond_the_list_picks_nothing() -> None:
    assert ordinal_pick("the third one", 2) is None
    assert ordinal_pick("the last one", 0) is None


def _offered(n: int = 3) -> list[str]:
    return [choice(1, next_weekday(3, 9 + i)) for i in range(n)]


def _picking(text: str, intent: str, *, requested: str, extra: dict[str, Any]) -> Any:
    offered = _offered()
    start = next_weekday(3, 8)
    slots = {
        "treatment": "checkup",
        "dentist": "1",
        "requested_slot": requested,
        "when": context.encode_window(start, start + dt.timedelta(hours=8)),
        "offered_slots": offered,
        **extra,
    }
    return tracker(text, intent, form="booking_form", slots=slots), offered


def test_the_second_one_holds_the_second_offer(seeded_engine: Engine) -> None:
    trk, offered = _picking("2nd one please", "inform", requested="slot_choice", extra={})
    _, slots = run(FORM, trk)
    assert slots["slot_choice"] == offered[1] and slots["hold_id"]
    held = rows(seeded_engine, "SELECT starts_at FROM appointment WHERE status = 'held'")
    assert [r["starts_at"] for r in held] == [offers.decode_choice(offered[1])[1]]  # type: ignore[index]


def test_a_different_place_while_confirming_asks_again_for_that_time(
    seeded_engine: Engine,
) -> None:
    trk, offered = _picking("2nd one please", "inform", requested="slot_choice", extra={})
    _, first = run(FORM, trk)
    trk, _ = _picking(
        "no wait, make it the third one",
        "deny",
        requested="confirmed",
        extra={"slot_choice": first["slot_choice"], "hold_id": first["hold_id"]},
    )
    _, slots = run(FORM, trk)
    assert slots["slot_choice"] == offered[2]
    assert slots.get("confirmed") is None and "outcome" not in slots  # not a "no" to booking
    held = rows(seeded_engine, "SELECT starts_at FROM appointment WHERE status = 'held'")
    assert [r["starts_at"] for r in held] == [offers.decode_choice(offered[2])[1]]  # type: ignore[index]


def test_naming_the_time_being_confirmed_again_confirms_it(seeded_engine: Engine) -> None:
    trk, _ = _picking("first one", "inform", requested="slot_choice", extra={})
    _, slots = run(FORM, trk)
    trk, _ = _picking("first one", "inform", requested="confirmed", extra=slots)
    _, done = run(FORM, trk)
    assert done["confirmed"] is True and done["outcome"] == "booked"
    booked = rows(seeded_engine, "SELECT status FROM appointment WHERE status <> 'cancelled'")
    assert booked == [{"status": "scheduled"}]


def test_first_to_when_would_suit_means_the_first_free_times() -> None:
    asked = {"treatment": "checkup", "dentist": "any", "requested_slot": "when"}
    for text in ("first", "asap please", "first available"):
        _, slots = run(FORM, tracker(text, "inform", form="booking_form", slots=asked))
        start, end = context.decode_window(slots["when"])  # type: ignore[misc]
        assert abs((start - context.now()).total_seconds()) < 60, text
        assert (end - start).days == 14
    _, slots = run(
        FORM,
        tracker(
            "first", "inform", form="booking_form", slots={**asked, "requested_slot": "dentist"}
        ),
    )
    assert "when" not in slots  # to the dentist question "first" is the first dentist


def test_come_in_then_means_the_day_just_asked_about() -> None:
    trk = tracker(
        "great, can I come in then for a check up", "book_appointment", form="booking_form"
    )
    trk.events = [
        {"event": "user", "text": "what time do you open on friday?", "parse_data": {}},
        {"event": "bot", "text": "Opening hours: …"},
        *trk.events,
    ]
    _, slots = run(FORM, trk)
    start, _ = context.decode_window(slots["when"])  # type: ignore[misc]
    assert start.astimezone(context.clinic().tz).isoweekday() == 5


def test_him_and_then_point_at_the_dentist_and_day_just_asked_about() -> None:
    trk = tracker("ok can I see him then for a filling", "book_appointment", form="booking_form")
    asked = {
        "text": "Is Dr Rossi in on Wednesdays?",
        "entities": [{"entity": "dentist", "value": "rossi"}],
    }
    trk.events = [
        {"event": "user", "text": asked["text"], "parse_data": asked},
        {"event": "bot", "text": "Dr Marco Rossi: …"},
        *trk.events,
    ]
    _, slots = run(FORM, trk)
    assert slots["dentist"] == "2" and slots["treatment"] == "filling"
    start, _ = context.decode_window(slots["when"])  # type: ignore[misc]
    assert start.astimezone(context.clinic().tz).isoweekday() == 3


def test_a_time_misread_as_stop_is_still_an_answer() -> None:
    trk = tracker(
        "whenever suits", "stop", form="booking_form", slots={"requested_slot": "treatment"}
    )
    assert reads_as_answer(trk)
    assert not reads_as_answer(tracker("stop please", "stop", form="booking_form"))
    assert not reads_as_answer(tracker("forget it, never mind", "stop", form="booking_form"))


def test_a_place_among_the_treatment_buttons_picks_that_treatment() -> None:
    codes = ("checkup", "cleaning", "filling")
    buttons = [{"title": c, "payload": "/inform" + json.dumps({"treatment": c})} for c in codes]
    asked = {"event": "bot", "text": "What is the visit for?", "data": {"buttons": buttons}}
    trk = tracker(
        "second one", "inform", form="booking_form", slots={"requested_slot": "treatment"}
    )
    trk.events = [asked, *trk.events]
    _, slots = run(FORM, trk)
    assert slots["treatment"] == "cleaning"


def test_a_dentist_stated_while_choosing_a_time_changes_the_dentist() -> None:
    offered = [choice(2, next_weekday(3, h)) for h in (9, 10)]  # Dr Rossi's times

    def choosing(text: str) -> Any:
        slots = {"treatment": "filling", "dentist": "any", "requested_slot": "slot_choice"}
        return tracker(
            text,
            "inform",
            entities=[{"entity": "dentist", "value": "lee"}],
            form="booking_form",
            slots={**slots, "offered_slots": offered},
        )

    _, changed = run(FORM, choosing("Dr Lee did it"))
    assert changed["dentist"] == "1" and changed.get("offered_slots") is None
    _, kept = run(FORM, choosing("is Dr Lee in today?"))
    assert "dentist" not in kept  # a question about her is not a choice


def test_a_bare_number_is_a_place_unless_it_is_the_hour_of_an_offer() -> None:
    start = next_weekday(3, 8)
    offered = [choice(1, start.replace(hour=h)) for h in (10, 11, 15)]
    slots = {"treatment": "checkup", "dentist": "1", "requested_slot": "slot_choice"}
    for text, want in (("1", offered[0]), ("2 please", offered[1]), ("3", offered[2])):
        trk = tracker(
            text, "inform", form="booking_form", slots={**slots, "offered_slots": offered}
        )
        assert picked_offer(trk) == want, text
    later = [choice(1, start.replace(hour=h)) for h in (9, 10, 13)]  # "1" is the 13:00 one
    trk = tracker("1", "inform", form="booking_form", slots={**slots, "offered_slots": later})
    assert picked_offer(trk) == later[2]


def test_changing_the_pick_twice_while_confirming_keeps_the_list(seeded_engine: Engine) -> None:
    """ "the 2nd" … "actually no, make it the last one" … "hmm, the first then": each change
    picks from the same list (it was forgotten after the first change)."""
    trk, offered = _picking("the 2nd", "inform", requested="slot_choice", extra={})
    _, slots = run(FORM, trk)
    for text, want in (("actually no, make it the last one", -1), ("hmm no, the first then", 0)):
        trk, _ = _picking(text, "inform", requested="confirmed", extra=slots)
        _, changed = run(FORM, trk)
        assert changed["slot_choice"] == offered[want], text
        assert changed.get("offered_slots", offered) == offered
        slots = {**slots, **changed, "offered_slots": changed.get("offered_slots", offered)}
    held = rows(seeded_engine, "SELECT starts_at FROM appointment WHERE status = 'held'")
    assert [r["starts_at"] for r in held] == [offers.decode_choice(offered[0])[1]]  # type: ignore[index]


@pytest.mark.parametrize(
    ("action", "intent"),
    [(ActionRouteInform(), "inform"), (ActionFallback(), "nlu_fallback")],
)
def test_a_typed_place_after_an_offer_outside_a_form_starts_the_booking(
    action: Any, intent: str
) -> None:
    offered = _offered()
    trk = tracker(
        "the first one is fine",
        intent,
        slots={"treatment": "checkup", "dentist": "any", "offered_slots": offered},
    )
    events = run_events(action, trk)
    assert [(e["event"], e.get("name"), e.get("value")) for e in events] == [
        ("slot", "slot_choice", offered[0]),
        ("followup", "booking_form", None),
    ]


def test_yes_with_a_place_picks_it_and_plain_yes_still_asks_which() -> None:
    offered = _offered()
    slots = {"treatment": "checkup", "offered_slots": offered}
    _, picked = run(ActionAnswerYesNo(), tracker("yes the second one", "affirm", slots=slots))
    assert picked["slot_choice"] == offered[1]
    messages, plain = run(ActionAnswerYesNo(), tracker("yes please", "affirm", slots=slots))
    assert "slot_choice" not in plain and messages[0]["response"] == "utter_pick_a_time"


def _asked_dentist(text: str, intent: str, *, asks: int = 1) -> Any:
    trk = tracker(
        text,
        intent,
        form="booking_form",
        slots={"treatment": "cleaning", "requested_slot": "dentist"},
    )
    trk.events = [*_asked("dentist", asks), *trk.events]
    return trk


def _asked(slot: str, times: int, *, aside: str | None = None) -> list[dict[str, Any]]:
    """The events of a booking form that asked for `slot` `times` times (Rasa logs no event
    for the ask action a form runs; each ask sets requested_slot), each after a message the
    form read (or, with `aside`, after that action answered a question first)."""
    turn = [
        {"event": "user", "text": "..."},
        *([{"event": "action", "name": aside}] if aside else []),
        {"event": "action", "name": "booking_form"},
        {"event": "slot", "name": "requested_slot", "value": slot},
        {"event": "action", "name": "action_listen"},
    ]
    return [{"event": "active_loop", "name": "booking_form"}, *turn * times]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Preferably a Thursday after 4", "inform"),
        ("ok whichever is earliest", "affirm"),
        ("doesn't matter to me", "inform"),
        ("no", "deny"),
        ("not sure, anyone", "nlu_fallback"),
        ("whenever", "stop"),  # misread as "stop": still no preference, not the end
    ],
)
def test_no_dentist_in_mind_means_anyone(text: str, intent: str) -> None:
    _, slots = run(FORM, _asked_dentist(text, intent))
    assert slots["dentist"] == offers.ANY


def test_the_dentist_question_is_not_asked_a_third_time() -> None:
    _, once = run(FORM, _asked_dentist("hmm ok", "affirm", asks=1))
    assert once.get("dentist") is None  # asked once more
    _, twice = run(FORM, _asked_dentist("hmm ok", "affirm", asks=2))
    assert twice["dentist"] == offers.ANY


def test_asking_again_after_an_aside_is_not_a_miss() -> None:
    trk = tracker("hmm ok", "affirm", form="booking_form", slots={"requested_slot": "dentist"})
    trk.events = [*_asked("dentist", 3, aside="action_clinic_info"), *trk.events]
    _, slots = run(FORM, trk)
    assert slots.get("dentist") is None


def test_a_named_dentist_still_wins() -> None:
    trk = _asked_dentist("with dr shah please", "inform")
    trk.latest_message["entities"] = [{"entity": "dentist", "value": "shah"}]
    _, slots = run(FORM, trk)
    assert slots["dentist"] not in (None, offers.ANY)


def _booking_after(earlier_text: str, *, between: list[dict[str, Any]] | None = None) -> Any:
    trk = tracker("ok can I book one", "book_appointment", form="booking_form")
    before = [
        {"event": "user", "text": earlier_text, "parse_data": {"text": earlier_text}},
        {"event": "action", "name": "action_clinic_info"},
        *(between or []),
    ]
    trk.events = [*before, *trk.events]
    return trk


def test_a_treatment_named_just_before_carries_into_the_booking() -> None:
    _, slots = run(FORM, _booking_after("do you do teeth whitening and how much is it"))
    assert slots["treatment"] == "whitening"


def test_no_treatment_is_carried_past_an_earlier_booking() -> None:
    ended = [{"event": "action", "name": "action_booking_outcome"}]
    _, slots = run(FORM, _booking_after("how much is whitening", between=ended))
    assert slots.get("treatment") is None


def test_asked_again_the_treatment_question_lists_every_treatment(seeded_engine: Engine) -> None:
    first = tracker("book please", "book_appointment", form="booking_form")
    first.events = [*_asked("treatment", 0), *first.events]
    messages, _ = run(ActionAskTreatment(), first)
    assert messages[0]["response"] == "utter_ask_treatment"
    again = tracker("next month", "inform", form="booking_form")
    again.events = [*_asked("treatment", 1), *again.events]
    messages, _ = run(ActionAskTreatment(), again)
    codes = {b["payload"] for b in messages[0]["buttons"]}
    assert len(codes) == len(rows(seeded_engine, "SELECT id FROM treatment"))


def test_not_sure_what_the_visit_is_for_books_a_consultation() -> None:
    trk = tracker(
        "not sure tbh, it just feels weird when I drink something cold",
        "nlu_fallback",
        form="booking_form",
        slots={"requested_slot": "treatment"},
    )
    messages, slots = run(FORM, trk)
    assert slots["treatment"] == "consultation" and "consultation" in messages[0]["text"]


def test_pain_described_while_booking_books_an_urgent_visit_with_whoever_is_free() -> None:
    """Classified as a booking, "my tooth has been aching for days…" still gets the urgent
    advice and skips the dentist question; a denied pain does not."""
    trk = tracker(
        "my back tooth has been aching since monday and getting worse, can I be seen",
        "book_appointment",
        form="booking_form",
    )
    messages, slots = run(FORM, trk)
    assert slots["treatment"] == "emergency" and slots["dentist"] == offers.ANY
    assert "seen soon" in messages[0]["text"]
    calm = tracker(
        "no pain at all, just a check up please", "book_appointment", form="booking_form"
    )
    _, slots = run(FORM, calm)
    assert slots["treatment"] == "checkup" and "dentist" not in slots


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("that works", "affirm"),
        ("ok whichever is earliest", "inform"),
        ("any of those", "inform"),
        ("the earliest", "check_availability"),
        ("soonest please", "inform"),
        ("any time is fine", "nlu_fallback"),
        ("any", "nlu_fallback"),
    ],
)
def test_yes_to_the_list_holds_the_first_time_and_asks_to_confirm(
    seeded_engine: Engine, text: str, intent: str
) -> None:
    trk, offered = _picking(text, intent, requested="slot_choice", extra={})
    _, slots = run(FORM, trk)
    assert slots["slot_choice"] == offered[0] and slots["hold_id"]
    assert slots.get("confirmed") is None  # confirmed only by the next "yes"


def _switched_from_booking(text: str, slots: dict[str, Any]) -> Any:
    trk = tracker(text, "reschedule_appointment", slots=slots)
    closed = [{"event": "active_loop", "name": "booking_form"}, {"event": "active_loop"}]
    trk.events = [*closed, *trk.events]
    return trk


def test_a_reschedule_while_booking_with_nothing_to_move_changes_this_booking() -> None:
    trk = _switched_from_booking("no, change that to wednesday pls", {"treatment": "checkup"})
    assert [(e["event"], e.get("name")) for e in run_events(ActionReleaseHold(), trk)] == [
        ("followup", "booking_form")
    ]


def test_a_reschedule_while_booking_with_an_appointment_to_move_ends_the_booking(
    seeded_engine: Engine,
) -> None:
    start = next_weekday(2, 10)
    booking.book(
        seeded_engine, PATIENT1, patient_id=1, dentist_id=1, treatment="checkup", starts_at=start
    )
    trk = _switched_from_booking("can I move my appointment to friday", {"treatment": "checkup"})
    events = run_events(ActionReleaseHold(), trk)
    assert all(e["event"] == "slot" for e in events) and events  # the form's slots reset


def test_picking_an_offer_read_as_a_reschedule_still_picks_it(seeded_engine: Engine) -> None:
    start = next_weekday(2, 10)
    booking.book(
        seeded_engine, PATIENT1, patient_id=1, dentist_id=1, treatment="checkup", starts_at=start
    )
    offered = _offered()
    trk = _switched_from_booking("the 2nd one would be ideal", {"offered_slots": offered})
    assert [e["event"] for e in run_events(ActionReleaseHold(), trk)] == ["followup"]


@pytest.mark.parametrize(
    ("text", "same_day"),
    [("around 11 would be ideal", True), ("afternoon if poss", True), ("thursday instead", False)],
)
def test_a_time_alone_stays_on_the_day_being_looked_at(
    seeded_engine: Engine, text: str, same_day: bool
) -> None:
    day = next_weekday(1, 9, weeks=2)
    trk, _ = _picking(text, "inform", requested="slot_choice", extra={})
    trk.slots["when"] = context.encode_window(day, day + dt.timedelta(hours=9))
    trk.slots["offered_slots"] = [choice(1, day), choice(1, day + dt.timedelta(minutes=15))]
    _, slots = run(FORM, trk)
    start, _ = context.decode_window(slots["when"])  # type: ignore[misc]
    assert (start.astimezone(day.tzinfo).date() == day.date()) is same_day


def test_changing_an_existing_appointment_read_as_a_booking_moves_it(
    seeded_engine: Engine,
) -> None:
    text = "can I change it to the following tuesday"
    _, none_yet = run(FORM, tracker(text, "book_appointment", form="booking_form"))
    assert none_yet.get("outcome") is None  # nothing to change: a booking it is
    booking.book(
        seeded_engine,
        PATIENT1,
        patient_id=1,
        dentist_id=1,
        treatment="checkup",
        starts_at=next_weekday(3, 10),
    )
    _, slots = run(FORM, tracker(text, "book_appointment", form="booking_form"))
    assert slots["outcome"] == "move_instead"
    ended = tracker(text, "book_appointment", slots={"outcome": "move_instead"})
    events = run_events(ActionBookingOutcome(), ended)
    assert ("followup", "reschedule_form") in [(e["event"], e.get("name")) for e in events]


def test_the_first_question_counts_when_another_action_started_the_form() -> None:
    trk = tracker("hmm", "affirm", form="booking_form", slots={"requested_slot": "dentist"})
    started = [
        {"event": "user", "text": "a cleaning on the 16th?"},
        {"event": "action", "name": "action_route_inform"},
        {"event": "action", "name": "booking_form"},
        {"event": "active_loop", "name": "booking_form"},
        {"event": "slot", "name": "requested_slot", "value": "dentist"},
        {"event": "action", "name": "action_listen"},
    ]
    trk.events = [*started, *trk.events]
    assert times_asked(trk, "dentist") == 1


def test_a_question_about_the_dentist_being_asked_for_is_answered() -> None:
    trk = _asked_dentist("does Dr Shah see children?", "ask_dentist_info")
    trk.latest_message["entities"] = [{"entity": "dentist", "value": "shah"}]
    messages, slots = run(FORM, trk)
    assert slots["dentist"] not in (None, offers.ANY)
    assert "Priya Shah" in messages[0]["text"] and "children" in messages[0]["text"]


@pytest.mark.parametrize(("text", "place"), [("2nd", 1), ("the first one", 0), ("the last", -1)])
def test_a_place_among_the_dentist_buttons_picks_that_dentist(
    seeded_engine: Engine, text: str, place: int
) -> None:
    messages, _ = run(ActionAskDentist(), _asked_dentist("book a cleaning", "book_appointment"))
    buttons = [b["title"] for b in messages[0]["buttons"]]
    _, slots = run(FORM, _asked_dentist(text, "inform"))
    assert "when" not in slots  # "2nd" is the 2nd button here, not the 2nd of the month
    if buttons[place] == "Anyone":
        assert slots["dentist"] == offers.ANY
    else:
        assert offers.dentist_names()[int(slots["dentist"])] == buttons[place]


@pytest.mark.parametrize(
    ("text", "intent", "answer"),
    [
        ("mornings", "greet", True),
        ("evenings are better for me", "goodbye", True),
        ("hi, afternoons work best", "greet", True),
        ("good morning", "greet", False),
        ("Morning!", "greet", False),
        ("good evening", "goodbye", False),
        ("hello", "greet", False),
        ("ok, bye for today", "goodbye", False),  # a farewell naming a day is not a time
        ("thanks, see you tomorrow evening", "goodbye", False),
    ],
)
def test_a_time_of_day_read_as_a_salutation_still_answers_the_booking(
    text: str, intent: str, answer: bool
) -> None:
    asked = tracker(text, intent, form="booking_form", slots={"requested_slot": "treatment"})
    assert reads_as_answer(asked) is answer
    _, slots = run(FORM, asked)
    assert ("when" in slots) is answer  # the time is kept; the treatment is asked again
    cancelling = tracker(
        text, intent, form="cancel_form", slots={"requested_slot": "appointment_id"}
    )
    assert reads_as_answer(cancelling) is False
