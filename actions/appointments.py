"""A patient's own appointments: list them, pick one to cancel or move."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import context, offers
from actions.slot_picks import ordinal_pick
from chatbot.auth import Principal
from chatbot.domain.status import Status
from chatbot.errors import BookingError
from chatbot.services import booking, reminders

Doc = dict[str, Any]


ASKED = 10  # appointments offered as buttons when asking which one
ALL = "all"  # appointment_id meaning every upcoming appointment (cancelling only)
ALL_OF_THEM = re.compile(
    r"\b(all (of )?(them|those|these|my)|all (the |my )?(appointments|bookings|visits)|"
    r"every (one|single one|appointment|booking|visit)|everything( booked)?|the lot|"
    r"(them|those|these) all|all( please| pls)?\W*$)",
    re.I,
)
BOTH = re.compile(r"\bboth( of them)?\b", re.I)
NOT_ALL = re.compile(r"\bnot (all|both|every|everything)\b", re.I)


def names_all(text: str, count: int) -> bool:
    """ "cancel all of them", "cancel them all", "both" (of exactly two): every upcoming
    appointment ("not all of them" is not; the confirmation lists them anyway)."""
    if count < 2 or NOT_ALL.search(text):
        return False
    return bool(ALL_OF_THEM.search(text)) or (count == 2 and bool(BOTH.search(text)))


def upcoming(who: Principal) -> list[Doc]:
    """The caller's live appointments from now on (holds excluded)."""
    docs = booking.list_appointments(context.engine(), who, start=context.now())
    return [d for d in docs if Status(d["status"]).booked]


def describe(doc: Doc) -> str:
    """'Check-up with Dr Anna Lee on Tue 1 Dec, 09:00'."""
    return describe_all([doc])[0]


def describe_all(docs: list[Doc]) -> list[str]:
    """`describe` for many appointments with one read of the dentists and one of the
    treatments (ten buttons must not mean twenty transactions)."""
    if not docs:
        return []
    tz = context.clinic().tz
    dentists = offers.dentist_names()
    treatments = offers.treatment_names()
    return [
        f"{treatments.get(d['treatment'], str(d['treatment']))} with "
        f"{dentists.get(d['dentist_id'], 'the dentist')} on {offers.when_text(_start(d), tz)}"
        for d in docs
    ]


def _start(doc: Doc) -> dt.datetime:
    return dt.datetime.fromisoformat(str(doc["starts_at"]))


def reminded(who: Principal) -> Doc | None:
    """The upcoming appointment this patient was last sent a reminder for: what "it" means in
    a reply to the reminder ("can we move it to Friday?")."""
    if who.role != "patient" or who.patient_id is None:
        return None
    return reminders.reminded_appointment(context.engine(), who, who.patient_id, now=context.now())


def named_appointment(tracker: Tracker, *, cancelling: bool = False) -> dict[str, Any]:
    """The appointment the message points at: the only one on the day the message names
    ("cancel Tuesday's appointment"), else the one just reminded of, else the only upcoming
    one. When moving, a day names the new time, so the reminded one wins."""
    who = context.principal(tracker)
    if tracker.get_slot("appointment_id") or who is None or who.role != "patient":
        return {}
    docs = upcoming(who)
    if cancelling and names_all(context.user_text(tracker), len(docs)):
        return {"appointment_id": ALL}
    if tracker.get_slot("requested_slot") == "appointment_id":  # "the 2nd one" of the buttons
        index = ordinal_pick(context.user_text(tracker), len(docs[:ASKED]))
        if index is not None:
            return {"appointment_id": str(docs[index]["id"])}
    tz = context.clinic().tz
    day = context.when_of(tracker, tz).date
    moving = tracker.active_loop.get("name") == "reschedule_form" or (
        ((tracker.latest_message or {}).get("intent") or {}).get("name") == "reschedule_appointment"
    )
    if day is not None:
        on_day = [d for d in docs if _start(d).astimezone(tz).date() == day]
        # moving "that to Thursday": the day is the new time, not which appointment
        docs = on_day if on_day or not moving else docs
    if (day is None or moving or not docs) and (doc := reminded(who)) is not None:
        return {"appointment_id": str(doc["id"])}
    return {"appointment_id": str(docs[0]["id"])} if len(docs) == 1 else {}


def own_live(value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> Doc | None:
    """The caller's appointment with this id if it can still be changed; says why not."""
    who = context.principal(tracker)
    ref = offers.as_id(value)
    if ref is None or who is None:
        return None
    try:
        doc = booking.get_appointment(context.engine(), who, ref)
    except BookingError as err:
        dispatcher.utter_message(text=str(err))
        return None
    if not Status(doc["status"]).movable or _start(doc) <= context.now():
        dispatcher.utter_message(text="That appointment can't be changed any more.")
        return None
    return doc


def say_upcoming(dispatcher: CollectingDispatcher, who: Principal | None) -> list[EventType]:
    """A patient's upcoming appointments (the "my appointments" answer for patients)."""
    if who is None or who.role != "patient":
        dispatcher.utter_message(
            text=context.SIGN_IN if who is None else "Only patients have appointments to list here."
        )
        return []
    docs = upcoming(who)
    if not docs:
        dispatcher.utter_message(text="You have no upcoming appointments. Shall I book one?")
        return [SlotSet("suggested", "book")]
    lines = "\n".join(f"• {text}" for text in describe_all(docs))
    dispatcher.utter_message(text=f"Your upcoming appointments:\n{lines}")
    return []


class ActionAskAppointmentId(Action):
    def name(self) -> str:
        return "action_ask_appointment_id"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        who = context.principal(tracker)
        docs = upcoming(who) if who else []
        verb = "cancel" if tracker.active_loop.get("name") == "cancel_form" else "move"
        buttons = [
            {"title": title, "payload": choose(str(d["id"]))}
            for d, title in zip(docs[:ASKED], describe_all(docs[:ASKED]), strict=True)
        ]
        if verb == "cancel" and len(docs) >= 2:
            title = "Both of them" if len(docs) == 2 else f"All {len(docs)} of them"
            buttons.append({"title": title, "payload": choose(ALL)})
        dispatcher.utter_message(
            text=f"Which appointment would you like to {verb}?", buttons=buttons
        )
        return []


def choose(ref: str) -> str:
    return "/choose_appointment" + json.dumps({"appointment_id": ref})


class ActionAskCancelConfirmed(Action):
    def name(self) -> str:
        return "action_ask_cancel_confirmed"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        who = context.principal(tracker)
        if tracker.get_slot("appointment_id") == ALL and who is not None:
            lines = "\n".join(f"• {text}" for text in describe_all(upcoming(who)))
            dispatcher.utter_message(
                text=f"Cancel all of these?\n{lines}",
                buttons=[
                    {"title": "Yes, cancel them all", "payload": "/affirm"},
                    {"title": "No, keep them", "payload": "/deny"},
                ],
            )
            return []
        ref = offers.as_id(tracker.get_slot("appointment_id"))
        try:
            doc = booking.get_appointment(context.engine(), who, ref) if who and ref else None
        except BookingError:  # not theirs, or gone: never echo why, just ask generically
            doc = None
        dispatcher.utter_message(
            text=f"Cancel your {describe(doc)}?" if doc else "Cancel this appointment?",
            buttons=[
                {"title": "Yes, cancel it", "payload": "/affirm"},
                {"title": "No, keep it", "payload": "/deny"},
            ],
        )
        return []


def answer_reminder(
    intent: str | None, dispatcher: CollectingDispatcher, tracker: Tracker
) -> list[EventType] | None:
    """A bare yes/no after a reminder, with nothing else asked: "yes, I'll be there" confirms
    that appointment (once: a later "yes" is about something else), "no" offers to cancel it
    (the cancel form asks first, so a stray "no" costs one question). None = not a reply to
    a reminder."""
    who = context.principal(tracker)
    doc = reminded(who) if who is not None else None
    if who is None or doc is None:
        return None
    if intent == "affirm":
        if doc["status"] != "scheduled":
            return None
        try:
            booking.set_status(context.engine(), who, doc["id"], "confirmed")
        except BookingError as err:
            dispatcher.utter_message(text=str(err))
            return []
        dispatcher.utter_message(text=f"Thanks! Your {describe(doc)} is confirmed. See you then!")
        return []
    return [SlotSet("appointment_id", str(doc["id"])), FollowupAction("cancel_form")]
