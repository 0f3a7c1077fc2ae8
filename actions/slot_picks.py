"""The booking steps the forms share: a new time window, picking a slot, confirming.

Each returns the slot values for a FormValidationAction. Conflicts are answered in words:
a slot taken between offer and confirmation → apologise; the form then offers the next free
ones (action_ask_slot_choice runs because `slot_choice` is cleared).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import context, offers
from chatbot.domain.timeparse import Resolution
from chatbot.errors import BookingError, HoldExpired, SlotTaken
from chatbot.services import booking

Slots = dict[str, Any]
TAKEN = "Sorry, someone else just took that time."


def _intent(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""


def match_offer(res: Resolution, offered: Any, tz: dt.tzinfo) -> str | None:
    """The offered choice a typed time names ("the 3pm one"), if exactly one fits."""
    times = {m.time for m in res.mentions if m.time} | ({res.time} if res.time else set())
    fits = []
    for choice in offered or []:
        decoded = offers.decode_choice(choice)
        if times and decoded and decoded[1].astimezone(tz).time().replace(tzinfo=None) in times:
            fits.append(choice)
    return fits[0] if len(fits) == 1 else None


def forget_offer(tracker: Tracker) -> Slots:
    """Release the hold (if any) and clear what was offered and picked."""
    hold_id, who = tracker.get_slot("hold_id"), context.principal(tracker)
    if hold_id and who:
        with contextlib.suppress(BookingError):  # expired or already gone: nothing to give back
            booking.release_hold(context.engine(), who, int(hold_id))
    return {"slot_choice": None, "confirmed": None, "hold_id": None, "offered_slots": None}


def when_change(dispatcher: CollectingDispatcher, tracker: Tracker) -> Slots:
    """A new date/time window from the latest message ("no, make it Thursday"), or the week
    after the last offer for "anything else?"; {} when the message names no new window."""
    tz = context.clinic().tz
    requested = tracker.get_slot("requested_slot")
    named = context.when_of(tracker, tz)
    if _intent(tracker) == "request_alternatives" and named.start is None:
        window = offers.window_after(tracker.get_slot("offered_slots"), tz)
    elif requested == "confirmed" and _intent(tracker) == "affirm":
        return {}
    else:
        res = named
        if res.error:
            dispatcher.utter_message(text=f"{res.error} Which day would suit you?")
            return {"when": None, **forget_offer(tracker)}
        if res.start is None or res.end is None:
            return {}
        if match_offer(res, tracker.get_slot("offered_slots"), tz):
            return {}
        window = (res.start, res.end)
    if window is None:
        return {}
    value = context.encode_window(*window)
    restated = _intent(tracker) in ("book_appointment", "check_availability")
    if value == tracker.get_slot("when") and not restated:
        return {}  # a restated request ("any time next Thursday?") searches afresh
    return {"when": value, **forget_offer(tracker)}


def typed_choice(tracker: Tracker) -> Slots:
    """A typed time that matches exactly one offered slot picks it."""
    entities = (tracker.latest_message or {}).get("entities") or []
    if tracker.get_slot("requested_slot") != "slot_choice" or any(
        e.get("entity") == "slot_choice" for e in entities
    ):
        return {}
    tz = context.clinic().tz
    picked = match_offer(context.when_of(tracker, tz), tracker.get_slot("offered_slots"), tz)
    return {"slot_choice": picked} if picked else {}


def hold_choice(value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> Slots:
    """Hold the picked slot for the verified patient while they confirm."""
    choice, treatment = offers.decode_choice(value), tracker.get_slot("treatment")
    who = context.principal(tracker)
    if value is None or choice is None or not treatment or who is None:
        return {"slot_choice": None}
    cleared = forget_offer(tracker) if tracker.get_slot("hold_id") else {}
    try:
        doc = booking.hold_slot(
            context.engine(),
            who,
            patient_id=who.patient_id or 0,
            dentist_id=choice[0],
            treatment=treatment,
            starts_at=choice[1],
        )
    except SlotTaken:
        dispatcher.utter_message(text=f"{TAKEN} Here are the next free ones.")
        return {**cleared, "slot_choice": None, "offered_slots": None}
    except BookingError as err:
        dispatcher.utter_message(text=str(err))
        return {**cleared, "slot_choice": None}
    around = context.encode_window(choice[1], choice[1] + dt.timedelta(hours=1))
    return {
        **cleared,
        "slot_choice": value,
        "hold_id": float(doc["id"]),
        "dentist": str(choice[0]),
        "when": tracker.get_slot("when") or around,  # picked from an offer outside the form
    }


def confirm_booking(value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> Slots:
    """A "yes" turns the hold into a booking (re-booking the same time if the hold ran out)."""
    if value is None:
        return {"confirmed": None}
    if not value:
        return {**forget_offer(tracker), "confirmed": False, "outcome": "declined"}
    who, choice = context.principal(tracker), offers.decode_choice(tracker.get_slot("slot_choice"))
    if who is None or choice is None:
        return {"confirmed": None, "slot_choice": None}
    try:
        try:
            doc = booking.confirm_hold(context.engine(), who, int(tracker.get_slot("hold_id") or 0))
        except HoldExpired:
            doc = booking.book(
                context.engine(),
                who,
                patient_id=who.patient_id or 0,
                dentist_id=choice[0],
                treatment=tracker.get_slot("treatment"),
                starts_at=choice[1],
            )
    except SlotTaken:
        dispatcher.utter_message(text=f"{TAKEN} Here are the next free ones.")
        return {"confirmed": None, "slot_choice": None, "hold_id": None, "offered_slots": None}
    except BookingError as err:
        dispatcher.utter_message(text=str(err))
        return {"confirmed": None, "slot_choice": None, "hold_id": None}
    return {
        "confirmed": True,
        "hold_id": None,
        "outcome": "booked",
        "outcome_ref": float(doc["id"]),
    }


def confirm_move(value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> Slots:
    """A "yes" moves the appointment in one transaction; a taken slot → offer others."""
    if value is None:
        return {"confirmed": None}
    if not value:
        return {"confirmed": False, "outcome": "kept", "slot_choice": None}
    who, choice = context.principal(tracker), offers.decode_choice(tracker.get_slot("slot_choice"))
    ref = int(tracker.get_slot("appointment_id") or 0)
    if who is None or choice is None:
        return {"confirmed": None, "slot_choice": None}
    try:
        booking.reschedule(context.engine(), who, ref, starts_at=choice[1], dentist_id=choice[0])
    except SlotTaken:
        dispatcher.utter_message(text=f"{TAKEN} Here are the next free ones.")
        return {"confirmed": None, "slot_choice": None, "offered_slots": None}
    except BookingError as err:
        dispatcher.utter_message(text=str(err))
        return {"confirmed": None, "slot_choice": None}
    return {"confirmed": True, "outcome": "rescheduled", "outcome_ref": float(ref)}
