"""Keeping the conversation moving: misunderstandings escalate instead of looping, a bare
"yes"/"no" gets a useful answer, and booking details typed out of the blue start a booking."""

from __future__ import annotations

import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import appointments, context, dentist, offers
from actions.booking import ActionCheckAvailability
from actions.info import ActionHumanHandoff
from actions.slot_picks import picked_offer

FALLBACK = "action_fallback"
MENU = [
    {"title": "Book an appointment", "payload": "/book_appointment"},
    {"title": "My appointments", "payload": "/list_appointments"},
    {"title": "Opening hours", "payload": '/clinic_info{"topic": "hours"}'},
    {"title": "Talk to a person", "payload": "/human_handoff"},
]


def misunderstandings_in_a_row(tracker: Tracker) -> int:
    """How many of the user's latest messages, this one included, were answered by the
    fallback: counts back over user turns until one was answered by something else."""
    answered_by: list[str | None] = []
    for event in tracker.events:
        if event.get("event") == "user":
            answered_by.append(None)
        elif event.get("event") == "action" and answered_by and answered_by[-1] is None:
            name = event.get("name")
            if name not in ("action_listen", None):
                answered_by[-1] = name
    count = 1  # this message
    for name in reversed(answered_by[:-1]):
        if name != FALLBACK:
            break
        count += 1
    return count


def book_typed_pick(tracker: Tracker) -> list[EventType] | None:
    """With times just offered and no form open, "the first one is fine" / "the 9:30 one"
    picks one: the booking form starts with it (and holds it). None when nothing is picked."""
    if (tracker.active_loop or {}).get("name"):
        return None
    picked = picked_offer(tracker)
    if picked is None:
        return None
    return [SlotSet("slot_choice", picked), FollowupAction("booking_form")]


# Unsure of the intent, the words may still name a task on the patient's appointments
# ("remove all my bookings", "can you shift my visit"): start it rather than ask to rephrase.
TASK_WORDS = (
    (
        "cancel_form",
        re.compile(
            r"\b(cancel|remove|delete|drop|scrap|call off|get rid of|clear)\b.*"
            r"\b(appointments?|bookings?|visits?|all|both)\b",
            re.I,
        ),
    ),
    (
        "reschedule_form",
        re.compile(
            r"\b(reschedule|move|shift|change|push|bring)\b.*\b(appointments?|bookings?|visits?)\b",
            re.I,
        ),
    ),
)


# "could a dentist check it next week?", "hi, what's on for me on Monday": to book, the words
# must also name a time or a treatment; a dentist asking about their day gets the schedule.
WANTS_A_VISIT = re.compile(
    r"\b(book|(an|a new|another) (appointment|appt)|see (a|the|you|someone)|be seen|come in|"
    r"pop in|check (it|them|me|my)|look at (it|them|my)|get (it|them|this) (checked|looked at))\b",
    re.I,
)
DENTIST_DAY = re.compile(
    r"\b(what'?s on|schedule|diary|agenda|my day|who (am i|do i have|is) (seeing|booked|in)|"
    r"(any|my) (patients|appointments))\b",
    re.I,
)


def task_by_words(tracker: Tracker, *, booking: bool = True) -> list[EventType] | None:
    """The form the words of a not-understood message start for a signed-in patient (no form
    open): cancel, move, or (with `booking`) a booking; None when they name none. Only forms:
    a form listens after its question, where a plain action started by FollowupAction would
    leave the policy to predict the fallback again (a loop)."""
    who = context.principal(tracker)
    if (tracker.active_loop or {}).get("name") or who is None or who.role != "patient":
        return None
    text = context.user_text(tracker)
    form = next((form for form, words in TASK_WORDS if words.search(text)), None)
    if form is None and booking and WANTS_A_VISIT.search(text):
        named = offers.treatment_from(tracker) or _named_time(tracker)
        form = "booking_form" if named else None
    return [FollowupAction(form)] if form else None


def _named_time(tracker: Tracker) -> bool:
    return context.when_of(tracker, context.clinic().tz).start is not None


class ActionFallback(Action):
    """First miss: ask to rephrase. Second in a row: what I can do, as buttons. Third: a
    person takes over (a handoff request the front desk sees live). Before that, what the
    words still say: a place in the times shown, a patient's task, another day after an offer
    ("what about monday then?"), a dentist asking about their day."""

    def name(self) -> str:
        return FALLBACK

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        rescued = book_typed_pick(tracker) or task_by_words(tracker)
        if rescued is not None:
            return rescued
        who = context.principal(tracker)
        if who is not None and not (tracker.active_loop or {}).get("name"):
            if who.role == "dentist" and DENTIST_DAY.search(context.user_text(tracker)):
                return dentist.say_schedule(dispatcher, tracker)
            if who.role == "patient" and tracker.get_slot("offered_slots") and _named_time(tracker):
                return await ActionCheckAvailability().run(dispatcher, tracker, domain)
        misses = misunderstandings_in_a_row(tracker)
        if misses == 1:
            dispatcher.utter_message(response="utter_ask_rephrase")
        elif misses == 2:
            dispatcher.utter_message(response="utter_default", buttons=MENU)
        elif misses == 3:
            dispatcher.utter_message(response="utter_handing_over")
            return ActionHumanHandoff().run(dispatcher, tracker, domain)
        else:  # the front desk already has it: no second request, no loop of apologies
            dispatcher.utter_message(response="utter_handoff_pending", buttons=MENU)
        return []


class ActionAnswerYesNo(Action):
    """ "yes"/"no" with no question open: follow up what the bot last suggested (a booking),
    point at offered times, answer the reminder just sent (confirm / offer to cancel), or say
    what it can do."""

    def name(self) -> str:
        return "action_answer_yes_no"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        suggested = tracker.get_slot("suggested")
        picked = book_typed_pick(tracker) if intent == "affirm" else None
        if picked is not None:  # "yes, the second one"
            return [SlotSet("suggested", None), *picked]
        if intent == "affirm" and suggested == "book":
            return [SlotSet("suggested", None), FollowupAction("booking_form")]
        if suggested is None and not tracker.get_slot("offered_slots"):
            answered = appointments.answer_reminder(intent, dispatcher, tracker)
            if answered is not None:
                return answered
        if intent == "affirm" and tracker.get_slot("offered_slots"):
            dispatcher.utter_message(response="utter_pick_a_time")
        elif intent == "affirm":
            dispatcher.utter_message(response="utter_what_next", buttons=MENU)
        else:
            dispatcher.utter_message(response="utter_anything_else")
        return [SlotSet("suggested", None)]


def carries_booking_details(tracker: Tracker) -> bool:
    """Whether the message names a treatment, a dentist or a date/time."""
    entities = (tracker.latest_message or {}).get("entities") or []
    if any(e.get("entity") in ("treatment", "dentist", "slot_choice") for e in entities):
        return True
    if offers.treatment_from(tracker):
        return True
    res = context.when_of(tracker, context.clinic().tz)
    return res.start is not None


class ActionRouteInform(Action):
    """A date, treatment or dentist typed with no question open ("a check-up on the 16th,
    half past ten?") starts a booking with what it carries; anything else gets the menu."""

    def name(self) -> str:
        return "action_route_inform"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot("suggested") == "block" and carries_booking_details(tracker):
            # the dentist was asked "which time should I block?": this is the answer
            return [SlotSet("suggested", None), FollowupAction("action_dentist_block_time")]
        picked = book_typed_pick(tracker)
        if picked is not None:
            return picked
        if carries_booking_details(tracker):
            return [FollowupAction("booking_form")]
        dispatcher.utter_message(response="utter_what_next", buttons=MENU)
        return []
