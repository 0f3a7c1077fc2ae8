"""The booking steps the forms share: a new time window, picking a slot, confirming.

Each returns the slot values for a FormValidationAction. Conflicts are answered in words:
a slot taken between offer and confirmation → apologise; the form then offers the next free
ones (action_ask_slot_choice runs because `slot_choice` is cleared).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import context, offers
from chatbot.domain.timeparse import Resolution, resolve
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


ORDINAL_WORDS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "last": -1,
    "latest": -1,
}
# "the 2nd one", "first is fine", "option 3", "number two", "the last": a place in the list just
# shown. Not one when a date follows ("the first of March", "the 3rd week") or the message
# names a month: then it is a day of the month.
_ORDINAL = r"first|second|third|fourth|fifth|last|latest|1st|2nd|3rd|4th|5th"
_NUMBER = r"[1-5]|one|two|three|four|five"
PICK = re.compile(
    rf"(?<![\w/.:-])(?:(?P<ord>{_ORDINAL})(?!\s+(?:of|week|weekend|month|thing|time\s+in|"
    r"appointment\s+in)\b)|(?:number|option|no\.?|#)\s*(?P<num>" + _NUMBER + r"))(?![\w/.:-])",
    re.I,
)
# A message that is only a number of the list ("1", "2 please"): a place too, unless it can
# be the hour of one of the times shown ("3" with 15:00 offered; see `picked_offer`).
BARE_NUMBER = re.compile(r"^\s*([1-5])\s*(please|pls|thanks)?\s*[.!]?\s*$", re.I)
MONTH = re.compile(  # "may" only with a day or after "in"/"of" ("may I have the 2nd one?")
    r"\b(jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|\b(in|of)\s+may\b|\bmay\s+\d",
    re.I,
)
NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
# "whichever is earliest", "any of those", "you choose": the list is fine, so the first of it.
ANY_OF_THEM = re.compile(
    r"\b(whichever|any of (them|those|these)|either (one|is fine)|you (choose|pick|decide)|"
    r"(the )?(earliest|soonest|first available) one|any ?time (is |works |would be )?"
    r"(fine|ok|okay|good|great)|any ?time works)\b"
    # a message that is only "the earliest" / "soonest please" while times are shown
    r"|^\W*any(\s*one|\s*time)?(\s+(is fine|works|will do|please))?\W*$"
    r"|^\W*(ok(ay)?\W+)?(the\s+)?(earliest|soonest)(\s+(one|time|slot))?"
    r"(\s+(please|pls|is fine|works|then))?\W*$",
    re.I,
)


# A message that is only a place ("2nd", "the third", "first one please"): when buttons other
# than times are shown (dentists, appointments) it picks one of them, it names no day.
BARE_PLACE = re.compile(
    rf"^\s*(the\s+)?({_ORDINAL}|[1-5]|(number|option|no\.?|#)\s*({_NUMBER}))(\s+one)?"
    r"(\s+(please|pls|thanks))?\s*[.!]?\s*$",
    re.I,
)


def ordinal_pick(text: str, count: int) -> int | None:
    """The 0-based index of the list item `text` points at by its place ("the 2nd one",
    "first is fine", "option 3", "the last one"), if exactly one place is named and the list
    has it; None otherwise (no place, two different ones, or a date such as "March 3rd")."""
    if count < 1 or MONTH.search(text):
        return None
    if bare := BARE_NUMBER.match(text):
        return int(bare[1]) - 1 if int(bare[1]) <= count else None
    places = set()
    for m in PICK.finditer(text):
        word = (m.group("ord") or "").lower()
        number = (m.group("num") or "").lower()
        if word:
            place = ORDINAL_WORDS.get(word) or int(word[0])
        else:
            place = NUMBERS.get(number) or int(number)
        places.add(count if place == -1 else place)
    if len(places) != 1:
        return None
    place = places.pop()
    return place - 1 if 1 <= place <= count else None


def picked_offer(tracker: Tracker) -> str | None:
    """The offered choice the latest message picks by place ("the 2nd one") or by a time that
    fits exactly one offer ("the 3pm one"); None when it picks none."""
    offered = [c for c in tracker.get_slot("offered_slots") or [] if offers.decode_choice(c)]
    if not offered:
        return None
    text = context.user_text(tracker)
    tz = context.clinic().tz
    bare = BARE_NUMBER.match(text)
    at_hour = _offers_at_hour(offered, int(bare[1]), tz) if bare else []
    if at_hour:
        return str(at_hour[0]) if len(at_hour) == 1 else None  # "3": the 15:00 one
    index = ordinal_pick(text, len(offered))
    if index is None and ANY_OF_THEM.search(text):
        index = 0
    if index is not None:
        return str(offered[index])
    return match_offer(context.when_of(tracker, tz), offered, tz)


def _offers_at_hour(offered: list[Any], hour: int, tz: dt.tzinfo) -> list[Any]:
    """The offered choices starting on the hour `hour` (or `hour` pm)."""
    found = []
    for choice in offered:
        decoded = offers.decode_choice(choice)
        at = decoded[1].astimezone(tz) if decoded else None
        if at is not None and at.hour in (hour, hour + 12) and at.minute == 0:
            found.append(choice)
    return found


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
    if requested in ("dentist", "appointment_id") and BARE_PLACE.match(context.user_text(tracker)):
        return {}  # "2nd" to the dentist or appointment buttons: not the 2nd of the month
    named = context.when_of(tracker, tz)
    if named.start is None and (window := _unnamed_window(tracker, tz)) is not None:
        value = context.encode_window(*window)
        return {} if value == tracker.get_slot("when") else {"when": value, **forget_offer(tracker)}
    if _intent(tracker) == "request_alternatives" and named.start is None:
        window = offers.window_after(tracker.get_slot("offered_slots"), tz)
    elif (requested == "confirmed" and _intent(tracker) == "affirm") or picked_offer(tracker):
        return {}  # a "yes", or a pick ("the 2nd one", "the 3pm one"): not a new day
    else:
        res = named
        if res.error:
            dispatcher.utter_message(text=f"{res.error} Which day would suit you?")
            return {"when": None, **forget_offer(tracker)}
        if res.start is None or res.end is None:
            return {}
        window = on_the_day_asked(tracker, res, tz)
    if window is None:
        return {}
    value = context.encode_window(*window)
    restated = _intent(tracker) in ("book_appointment", "check_availability")
    if value == tracker.get_slot("when") and not restated:
        return {}  # a restated request ("any time next Thursday?") searches afresh
    return {"when": value, **forget_offer(tracker)}


# "first" / "asap" to "When would suit you?": the first free times from now.
FIRST_FREE = re.compile(
    r"^\W*(the\s+)?(first|earliest|soonest|asap|next)(\s+(one|available|free|possible|slot|"
    r"time|thing))*(\s+(please|pls))?\W*$",
    re.I,
)
# "can I come in then?" right after asking about a day ("what time do you open on Monday?").
THEN = re.compile(
    r"\b(come in|book|see (you|someone|a dentist|him|her|them)|be seen|pop in)\b.*\bthen\b", re.I
)
SOON = dt.timedelta(days=14)


def _unnamed_window(tracker: Tracker, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime] | None:
    """A time the message means without naming one: the first free times ("first", "asap")
    when asked when, or the day of the patient's previous message ("… come in then?")."""
    text = context.user_text(tracker)
    if tracker.get_slot("requested_slot") == "when" and FIRST_FREE.match(text):
        now = context.now().astimezone(tz)
        return now, now + SOON
    earlier = offers.earlier_messages(tracker) if THEN.search(text) else []
    previous = str(earlier[0].get("text") or "") if earlier else ""
    res = resolve(previous, context.now().astimezone(tz)) if previous else None
    if res is not None and res.start is not None and res.end is not None:
        return res.start, res.end
    return None


TODAY = re.compile(r"\b(today|tonight|now|this (morning|afternoon|evening))\b", re.I)


def on_the_day_asked(
    tracker: Tracker, res: Resolution, tz: dt.tzinfo
) -> tuple[dt.datetime, dt.datetime]:
    """A time said on its own while one day is being looked at ("Monday the 14th?" … "around
    11 would be ideal") is that time on that day, not today's or tomorrow's: the message read
    as if said at the start of that day names the same day only when it names no day itself."""
    assert res.start is not None and res.end is not None
    window = (res.start, res.end)
    current = context.decode_window(tracker.get_slot("when"))
    text = context.user_text(tracker)
    if current is None or TODAY.search(text):
        return window
    day = current[0].astimezone(tz).date()
    if (current[1] - dt.timedelta(microseconds=1)).astimezone(tz).date() != day or res.date == day:
        return window  # not one day being looked at, or already that day
    again = resolve(text, dt.datetime.combine(day, dt.time(), tzinfo=tz))
    if again.start is None or again.end is None or again.start.astimezone(tz).date() != day:
        return window  # the message names its own day ("Thursday", "tomorrow")
    return window if again.end <= context.now() else (again.start, again.end)


def typed_choice(tracker: Tracker) -> Slots:
    """A typed pick of an offered slot ("the second one", "10:30 please") while the slots are
    asked for, or as a change of mind while confirming ("no, make it the third")."""
    entities = (tracker.latest_message or {}).get("entities") or []
    requested = tracker.get_slot("requested_slot")
    if requested not in (None, "slot_choice", "confirmed") or any(
        e.get("entity") == "slot_choice" for e in entities
    ):
        return {}
    picked = picked_offer(tracker)
    offered = tracker.get_slot("offered_slots") or []
    if picked is None and requested == "slot_choice" and _intent(tracker) == "affirm" and offered:
        picked = str(offered[0])  # "yes" / "that works" to the list: the first, then confirm
    if picked is not None and picked == tracker.get_slot("slot_choice"):
        # "the first one" again while asked to confirm the first one: that is a yes
        return {"confirmed": True} if requested == "confirmed" else {}
    return {"slot_choice": picked} if picked is not None else {}


def hold_choice(value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> Slots:
    """Hold the picked slot for the verified patient while they confirm."""
    choice, treatment = offers.decode_choice(value), tracker.get_slot("treatment")
    who = context.principal(tracker)
    if value is None or choice is None or not treatment or who is None:
        return {"slot_choice": None}
    cleared: Slots = {}
    if tracker.get_slot("hold_id"):  # another of the times shown: they stay shown
        cleared = {**forget_offer(tracker), "offered_slots": tracker.get_slot("offered_slots")}
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
