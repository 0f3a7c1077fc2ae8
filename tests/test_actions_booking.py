"""Booking form validators and booking actions against the real seeded database."""

from __future__ import annotations

import datetime as dt

from booking_support import PATIENT2
from bot_support import (  # noqa: F401
    bot_db,
    choice,
    next_weekday,
    rows,
    run,
    said,
    token,
    tracker,
)
from sqlalchemy import Engine, text

from actions import context
from actions.booking import (
    ActionAskConfirmed,
    ActionAskSlotChoice,
    ActionBookingOutcome,
    ActionCheckAvailability,
    ActionOfferAlternatives,
    ActionReleaseHold,
)
from actions.forms import ValidateBookingForm
from chatbot.services import booking

FORM = ValidateBookingForm()


def _appointments(engine: Engine) -> list[dict]:
    return rows(
        engine, "SELECT id, patient_id, dentist_id, status, starts_at FROM appointment ORDER BY id"
    )


def _hold(engine: Engine, start: dt.datetime, dentist: int = 1) -> dict:
    """Patient 1 picks a slot button: the validator holds it."""
    trk = tracker(
        "/choose_slot",
        "choose_slot",
        form="booking_form",
        slots={"treatment": "checkup", "dentist": str(dentist), "requested_slot": "slot_choice"},
        set_now={"slot_choice": choice(dentist, start)},
    )
    return run(FORM, trk)[1]


def test_picking_a_slot_holds_it_for_the_verified_patient(seeded_engine: Engine) -> None:
    start = next_weekday(2, 10)
    slots = _hold(seeded_engine, start)
    held = _appointments(seeded_engine)
    assert [(a["patient_id"], a["dentist_id"], a["status"]) for a in held] == [(1, 1, "held")]
    assert slots["hold_id"] == held[0]["id"] and slots["slot_choice"] == choice(1, start)


def test_yes_books_the_held_slot_and_the_outcome_says_so(seeded_engine: Engine) -> None:
    start = next_weekday(2, 10)
    hold = _hold(seeded_engine, start)
    trk = tracker(
        "yes",
        "affirm",
        form="booking_form",
        slots={
            "treatment": "checkup",
            "dentist": "1",
            "hold_id": hold["hold_id"],
            "slot_choice": choice(1, start),
            "requested_slot": "confirmed",
        },
        set_now={"confirmed": True},
    )
    _, slots = run(FORM, trk)
    assert slots["outcome"] == "booked"
    assert [a["status"] for a in _appointments(seeded_engine)] == ["scheduled"]
    messages, reset = run(
        ActionBookingOutcome(),
        tracker("yes", "affirm", slots={"outcome": "booked", "outcome_ref": slots["outcome_ref"]}),
    )
    assert "You're booked: Check-up with Dr Anna Lee" in said(messages)
    assert reset["treatment"] is None and reset["outcome"] is None


def test_slot_taken_between_offer_and_pick_apologises_and_offers_others(
    seeded_engine: Engine,
) -> None:
    start = next_weekday(2, 10)
    booking.book(
        seeded_engine, PATIENT2, patient_id=2, dentist_id=1, treatment="checkup", starts_at=start
    )
    trk = tracker(
        "/choose_slot",
        "choose_slot",
        form="booking_form",
        slots={
            "treatment": "checkup",
            "dentist": "1",
            "requested_slot": "slot_choice",
            "when": context.encode_window(start, start + dt.timedelta(hours=3)),
        },
        set_now={"slot_choice": choice(1, start)},
    )
    messages, slots = run(FORM, trk)
    assert "someone else just took that time" in said(messages)
    assert slots["slot_choice"] is None
    assert [a["patient_id"] for a in _appointments(seeded_engine)] == [2]
    # The form now asks again: the new offer leaves the taken time out.
    trk.slots.update(slots)
    messages, asked = run(ActionAskSlotChoice(), trk)
    offered = asked["offered_slots"]
    assert offered and choice(1, start) not in offered
    assert len(messages[0]["buttons"]) == len(offered) <= 5


def test_hold_lost_before_yes_apologises_and_books_nothing(seeded_engine: Engine) -> None:
    start = next_weekday(3, 11)
    hold = _hold(seeded_engine, start)
    with seeded_engine.begin() as conn:  # the hold runs out and another patient books
        conn.execute(text("UPDATE appointment SET hold_expires_at = now() - interval '1 s'"))
    booking.book(
        seeded_engine, PATIENT2, patient_id=2, dentist_id=1, treatment="checkup", starts_at=start
    )
    trk = tracker(
        "yes",
        "affirm",
        form="booking_form",
        slots={
            "treatment": "checkup",
            "dentist": "1",
            "hold_id": hold["hold_id"],
            "slot_choice": choice(1, start),
            "requested_slot": "confirmed",
        },
        set_now={"confirmed": True},
    )
    messages, slots = run(FORM, trk)
    assert "someone else just took that time" in said(messages)
    assert slots["confirmed"] is None and slots["slot_choice"] is None
    booked = [a for a in _appointments(seeded_engine) if a["status"] == "scheduled"]
    assert [a["patient_id"] for a in booked] == [2]


def test_expired_hold_on_a_still_free_slot_is_booked_anyway(seeded_engine: Engine) -> None:
    start = next_weekday(3, 14)
    hold = _hold(seeded_engine, start)
    with seeded_engine.begin() as conn:
        conn.execute(text("UPDATE appointment SET hold_expires_at = now() - interval '1 s'"))
    trk = tracker(
        "yes",
        "affirm",
        form="booking_form",
        slots={
            "treatment": "checkup",
            "dentist": "1",
            "hold_id": hold["hold_id"],
            "slot_choice": choice(1, start),
            "requested_slot": "confirmed",
        },
        set_now={"confirmed": True},
    )
    _, slots = run(FORM, trk)
    assert slots["outcome"] == "booked"
    assert [a["status"] for a in _appointments(seeded_engine)][-1] == "scheduled"


def test_no_at_confirmation_releases_the_hold(seeded_engine: Engine) -> None:
    start = next_weekday(2, 9)
    hold = _hold(seeded_engine, start)
    trk = tracker(
        "no",
        "deny",
        form="booking_form",
        slots={
            "treatment": "checkup",
            "hold_id": hold["hold_id"],
            "slot_choice": choice(1, start),
            "requested_slot": "confirmed",
        },
        set_now={"confirmed": False},
    )
    _, slots = run(FORM, trk)
    assert slots["outcome"] == "declined"
    assert [a["status"] for a in _appointments(seeded_engine)] == ["cancelled"]


def test_correction_mid_form_changes_the_window_and_frees_the_hold(seeded_engine: Engine) -> None:
    start = next_weekday(2, 9)
    hold = _hold(seeded_engine, start)
    trk = tracker(
        "no, make it Thursday",
        "inform",
        form="booking_form",
        slots={
            "treatment": "checkup",
            "dentist": "1",
            "hold_id": hold["hold_id"],
            "when": context.encode_window(start, start + dt.timedelta(hours=8)),
            "slot_choice": choice(1, start),
            "requested_slot": "confirmed",
            "offered_slots": [choice(1, start)],
        },
    )
    _, slots = run(FORM, trk)
    window = context.decode_window(slots["when"])
    assert window and window[0].isoweekday() == 4
    assert slots["slot_choice"] is None and slots["hold_id"] is None
    assert [a["status"] for a in _appointments(seeded_engine)] == ["cancelled"]


def test_typed_time_picks_the_matching_offer(seeded_engine: Engine) -> None:
    nine, ten = next_weekday(2, 9), next_weekday(2, 10)
    trk = tracker(
        "10am please",
        "inform",
        form="booking_form",
        slots={
            "treatment": "checkup",
            "dentist": "1",
            "requested_slot": "slot_choice",
            "when": context.encode_window(nine, nine + dt.timedelta(hours=8)),
            "offered_slots": [choice(1, nine), choice(1, ten)],
        },
    )
    _, slots = run(FORM, trk)
    assert slots["slot_choice"] == choice(1, ten) and slots["hold_id"]


def test_without_a_valid_token_the_form_ends_and_nothing_is_written(
    seeded_engine: Engine,
) -> None:
    for auth, meta in ((None, {}), (None, {"token": "forged.token.value", "patient_id": 1})):
        trk = tracker(
            "book a checkup",
            "book_appointment",
            auth=auth,
            metadata=meta,
            set_now={"treatment": "checkup"},
        )
        _, slots = run(FORM, trk)
        assert slots["requested_slot"] is None and slots["outcome"] == "sign_in"
        messages, _ = run(ActionBookingOutcome(), tracker(auth=auth, slots=slots))
        assert "Please sign in" in said(messages)
    assert _appointments(seeded_engine) == []


def test_patient_id_comes_from_the_token_not_the_metadata(seeded_engine: Engine) -> None:
    start = next_weekday(2, 11)
    trk = tracker(
        "/choose_slot",
        "choose_slot",
        form="booking_form",
        metadata={"patient_id": 2, "role": "admin"},
        slots={"treatment": "checkup", "dentist": "1", "requested_slot": "slot_choice"},
        set_now={"slot_choice": choice(1, start)},
    )
    run(FORM, trk)
    assert [a["patient_id"] for a in _appointments(seeded_engine)] == [1]


def test_dentists_cannot_book_for_themselves_by_chat() -> None:
    _, slots = run(FORM, tracker("book", "book_appointment", auth="dentist-1"))
    assert slots["outcome"] == "not_patient" and slots["requested_slot"] is None


def test_treatment_and_dentist_are_checked_against_the_catalog() -> None:
    _, ok = run(FORM, tracker("a root canal", set_now={"treatment": "root canal"}))
    assert ok["treatment"] == "root_canal"
    messages, bad = run(FORM, tracker("a haircut", set_now={"treatment": "haircut"}))
    assert bad["treatment"] is None and "We offer" in said(messages)
    _, lee = run(FORM, tracker("dr lee", set_now={"dentist": "Dr Lee"}))
    assert lee["dentist"] == "1"
    messages, refused = run(
        FORM, tracker("rossi", slots={"treatment": "whitening"}, set_now={"dentist": "rossi"})
    )
    assert refused["dentist"] is None and "doesn't offer Teeth whitening" in said(messages)


def test_a_past_window_is_refused() -> None:
    past = context.now() - dt.timedelta(days=2)
    messages, slots = run(
        FORM,
        tracker(
            "x",
            slots={"requested_slot": "when"},
            set_now={"when": context.encode_window(past, past + dt.timedelta(hours=2))},
        ),
    )
    assert slots["when"] is None and "already passed" in said(messages)
    opening = tracker(
        "I had a filling last month and it's sensitive, can I get it looked at?",
        "book_appointment",
        set_now={"when": context.encode_window(past, past + dt.timedelta(hours=2))},
    )
    messages, slots = run(FORM, opening)  # background, not the time wanted: no complaint
    assert slots["when"] is None and "already passed" not in said(messages)


def test_check_availability_offers_only_the_named_dentist_in_the_window() -> None:
    trk = tracker(
        "anything free next Tuesday afternoon with Dr Lee?",
        "check_availability",
        entities=[{"entity": "dentist", "value": "lee"}],
        slots={"dentist": "lee"},
    )
    messages, slots = run(ActionCheckAvailability(), trk)
    tz = context.clinic().tz
    offered = slots["offered_slots"]
    assert 1 <= len(offered) <= 5 and slots["dentist"] == "1"
    for value in offered:
        dentist, start = value.split("|")
        local = dt.datetime.fromisoformat(start).astimezone(tz)
        assert dentist == "1" and local.isoweekday() == 2 and 12 <= local.hour < 17
    assert all("/choose_slot" in b["payload"] for b in messages[-1]["buttons"])


def test_a_question_about_opening_hours_read_as_availability_gets_the_hours() -> None:
    for asked in ("hi could u tell me what time u close on fridays", "are you open saturdays?"):
        messages, slots = run(ActionCheckAvailability(), tracker(asked, "check_availability"))
        assert "Opening hours" in said(messages) and not slots.get("offered_slots"), asked
    messages, slots = run(
        ActionCheckAvailability(), tracker("anything open on friday morning?", "check_availability")
    )
    assert slots["offered_slots"]  # "open" as in free: times are offered


def test_check_availability_never_keeps_a_stray_treatment_entity() -> None:
    """DIET took "up" of "check up" as the treatment: the words still name a check-up, and the
    question is answered with free times instead of "I don't know the treatment 'up'"."""
    trk = tracker(
        "im around 11 to 3 next monday, anything for a check up?",
        "check_availability",
        entities=[{"entity": "treatment", "value": "up"}],
        slots={"treatment": "up"},
    )
    messages, slots = run(ActionCheckAvailability(), trk)
    assert slots["treatment"] == "checkup" and slots["offered_slots"], said(messages)


def test_alternatives_come_after_the_last_offer() -> None:
    first = next_weekday(2, 9)
    trk = tracker(
        "anything else?",
        "request_alternatives",
        slots={"treatment": "checkup", "dentist": "1", "offered_slots": [choice(1, first)]},
    )
    _, slots = run(ActionOfferAlternatives(), trk)
    starts = [dt.datetime.fromisoformat(v.split("|")[1]) for v in slots["offered_slots"]]
    assert starts and min(starts) > first


def test_confirmation_question_names_treatment_dentist_and_time() -> None:
    start = next_weekday(2, 9)
    trk = tracker(
        slots={"treatment": "cleaning", "slot_choice": choice(3, start)}, form="booking_form"
    )
    messages, _ = run(ActionAskConfirmed(), trk)
    assert "Professional cleaning with Dr Priya Shah" in said(messages)
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/affirm", "/deny"]


def test_stopping_releases_the_hold(seeded_engine: Engine) -> None:
    hold = _hold(seeded_engine, next_weekday(4, 9))
    _, slots = run(ActionReleaseHold(), tracker("stop", "stop", slots={"hold_id": hold["hold_id"]}))
    assert slots["hold_id"] is None
    assert [a["status"] for a in _appointments(seeded_engine)] == ["cancelled"]


def test_changing_the_dentist_mid_form_releases_the_hold(seeded_engine: Engine) -> None:
    start = next_weekday(2, 9)
    hold = _hold(seeded_engine, start)
    trk = tracker(
        "no, with Dr Rossi instead",
        form="booking_form",
        slots={
            "treatment": "checkup",
            "hold_id": hold["hold_id"],
            "slot_choice": choice(1, start),
            "requested_slot": "confirmed",
        },
        set_now={"dentist": "rossi"},
    )
    _, slots = run(FORM, trk)
    assert slots["dentist"] == "2" and slots["slot_choice"] is None
    assert [a["status"] for a in _appointments(seeded_engine)] == ["cancelled"]


def test_a_token_from_the_session_start_is_not_reused(seeded_engine: Engine) -> None:
    trk = tracker(
        "/choose_slot",
        "choose_slot",
        auth=None,
        form="booking_form",
        slots={"session_started_metadata": {"token": token("patient", 1)}, "treatment": "checkup"},
        set_now={"slot_choice": choice(1, next_weekday(2, 9))},
    )
    _, slots = run(FORM, trk)
    assert slots["outcome"] == "sign_in" and _appointments(seeded_engine) == []
