"""Booking outside the validators: offers (ask actions, availability, alternatives), the
confirmation question, and the closing message of every form."""

from __future__ import annotations

import datetime as dt
import json
import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import appointments, context, dentist, info, offers
from actions.form_answers import times_asked
from actions.slot_picks import forget_offer, picked_offer
from chatbot.errors import BookingError
from chatbot.services import booking, catalog
from chatbot.services.slot_search import SlotSource

FORM_SLOTS = (
    "treatment",
    "dentist",
    "when",
    "slot_choice",
    "confirmed",
    "cancel_confirmed",
    "appointment_id",
    "offered_slots",
    "hold_id",
    "outcome",
    "outcome_ref",
)
DONE = {
    "booked": "You're booked: {what}. See you then!",
    "rescheduled": "Done, your appointment is now: {what}.",
    "cancelled": "Your {what} is cancelled.",
    "declined": "OK, I've let that time go; nothing is booked.",
    "kept": "OK, nothing changed.",
    "sign_in": context.SIGN_IN,
    "not_patient": (
        "Booking by chat is for patients. Dentists can manage hours and see their schedule here."
    ),
    "no_appointments": "You have no upcoming appointments to change. Would you like to book one?",
    "dentist_command": (
        "Sorry, only dentists can block time or set working hours. "
        "I can book, move or cancel your appointments though."
    ),
}
# A question about the clinic's hours, not about free times (which the classifier confuses).
HOURS_QUESTION = re.compile(
    r"\b(what time|when)\b.*\b(open|close|shut|closing|opening)\b|"
    r"\bopening (hours|times)\b|\b(are|r) (you|u) open\b",
    re.I,
)
ASK_AGAIN = "Which of the times above suits you? You can also tell me another day or time."


def _reset() -> list[EventType]:
    return [SlotSet(name, None) for name in FORM_SLOTS]


class ActionBookingOutcome(Action):
    """After any of the three forms: say what happened, then forget the form's slots."""

    def name(self) -> str:
        return "action_booking_outcome"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        outcome, ref = tracker.get_slot("outcome"), tracker.get_slot("outcome_ref")
        who = context.principal(tracker)
        if who is None and outcome not in ("sign_in", "not_patient"):
            outcome = "sign_in"
        what = ""
        if outcome in ("booked", "rescheduled", "cancelled") and who and ref:
            try:
                what = appointments.describe(
                    booking.get_appointment(context.engine(), who, int(ref))
                )
            except BookingError:
                what = "appointment"
        if outcome == "cancelled_all":
            n = int(ref or 0)
            plural = "appointment" if n == 1 else "appointments"
            dispatcher.utter_message(text=f"Done: {n} {plural} cancelled." if n else DONE["kept"])
            return _reset()
        if outcome == "not_patient" and dentist.blocking_more(tracker):
            # "and tuesday 1-2pm" right after a block: one more block, not a booking
            return [*_reset(), *dentist.ActionDentistBlockTime().run(dispatcher, tracker, domain)]
        if outcome == "move_instead":  # a change to an existing appointment, not a booking
            return [*_reset(), FollowupAction("reschedule_form")]
        template = DONE.get(outcome or "", "OK, nothing was changed.")
        dispatcher.utter_message(text=template.format(what=what))
        return [*_reset(), SlotSet("suggested", "book" if outcome == "no_appointments" else None)]


class ActionReleaseHold(Action):
    """The patient stopped a form: give back any held slot and forget the form's slots.

    Except a "reschedule" said while booking that can only be about this booking ("no, change
    that to Wednesday", "around 11 would be ideal" read as reschedule_appointment): it picks
    one of the offered times, or the patient has no appointment to move. The booking then
    carries on with the message as its answer instead of ending with "nothing to change"."""

    def name(self) -> str:
        return "action_release_hold"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if _changes_this_booking(tracker):
            return [FollowupAction("booking_form")]
        forget_offer(tracker)
        return _reset()


def _changes_this_booking(tracker: Tracker) -> bool:
    intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
    if intent != "reschedule_appointment" or _closed_form(tracker) != "booking_form":
        return False
    who = context.principal(tracker)
    if who is None or who.role != "patient":
        return False
    return picked_offer(tracker) is not None or not appointments.upcoming(who)


def _closed_form(tracker: Tracker) -> str | None:
    """The form that was open before this turn (the rule that ended it ran just now)."""
    names = [e.get("name") for e in tracker.events if e.get("event") == "active_loop"]
    named = [n for n in names if n]
    return named[-1] if named else None


def _offer_from(
    source: SlotSource,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    window: tuple[dt.datetime, dt.datetime],
    *,
    treatment: str,
) -> list[EventType]:
    """Offer free slots in `window` (else the first after it) and remember them."""
    tz = context.clinic().tz
    dentist_id = offers.dentist_id_of(tracker.get_slot("dentist"))
    found = offers.search(source, treatment, dentist_id, *window)
    inside = bool(found) and found[0].starts_at < window[1]
    intro = (
        "Here are free times. Which one suits you?"
        if inside
        else "Nothing is free then. The next free times are:"
    )
    choices = offers.offer(dispatcher, found, tz, intro=intro, treatment=treatment)
    return [
        SlotSet("offered_slots", choices or None),
        SlotSet("treatment", treatment),
        SlotSet("when", context.encode_window(*window)),
    ]


class ActionAskSlotChoice(Action):
    def name(self) -> str:
        return "action_ask_slot_choice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot("offered_slots"):
            # Back from an aside ("what are your hours?"): the offer above still stands, so ask
            # once more in a line instead of searching and listing the same times again.
            dispatcher.utter_message(text=ASK_AGAIN)
            return []
        window = offers.tracker_window(tracker, context.clinic().tz)
        treatment = tracker.get_slot("treatment") or "checkup"
        source = await context.slot_source()
        events = _offer_from(source, dispatcher, tracker, window, treatment=treatment)
        if not events[0]["value"]:
            events.append(SlotSet("when", None))
        return events


class ActionAskDentist(Action):
    """Which dentist: buttons only for those who offer the treatment asked for."""

    def name(self) -> str:
        return "action_ask_dentist"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        treatment = offers.treatment_code(tracker.get_slot("treatment"))
        found = catalog.find_dentists(context.engine(), treatment=treatment)
        buttons = [
            {"title": d.display_name, "payload": "/inform" + json.dumps({"dentist": str(d.id)})}
            for d in found
        ]
        buttons.append({"title": "Anyone", "payload": '/inform{"dentist": "any"}'})
        dispatcher.utter_message(text="Do you have a dentist in mind?", buttons=buttons)
        return []


class ActionAskTreatment(Action):
    """What the visit is for: the common ones first; asked again, every treatment we offer
    (the patient's answer was not one of the four)."""

    def name(self) -> str:
        return "action_ask_treatment"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if times_asked(tracker, "treatment") == 0:
            dispatcher.utter_message(response="utter_ask_treatment")
            return []
        buttons = [
            {"title": t.name, "payload": "/inform" + json.dumps({"treatment": t.code})}
            for t in catalog.list_treatments(context.engine())
        ]
        dispatcher.utter_message(
            text="Which treatment is the visit for? If you're not sure, a consultation is a "
            'good start. You can also say "stop".',
            buttons=buttons,
        )
        return []


class ActionAskConfirmed(Action):
    def name(self) -> str:
        return "action_ask_confirmed"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        choice = offers.decode_choice(tracker.get_slot("slot_choice"))
        tz = context.clinic().tz
        when = offers.when_text(choice[1], tz) if choice else "that time"
        dentist = offers.dentist_names().get(choice[0], "") if choice else ""
        what = offers.treatment_name(tracker.get_slot("treatment"))
        if tracker.active_loop.get("name") == "reschedule_form":
            text = f"Move your {what} to {when} with {dentist}?"
        else:
            text = f"Shall I book a {what} with {dentist} on {when}? I'm holding it for you."
        dispatcher.utter_message(
            text=text,
            buttons=[{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}],
        )
        return []


class ActionCheckAvailability(Action):
    """ "Anything free next Tuesday afternoon with Dr Lee?" → up to five slot buttons."""

    def name(self) -> str:
        return "action_check_availability"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if context.principal(tracker) is None:  # the action server answers signed-in users only
            dispatcher.utter_message(text=context.SIGN_IN)
            return []
        if HOURS_QUESTION.search(context.user_text(tracker)):
            # "what time do you close on fridays?" read as a question about free times
            dispatcher.utter_message(text=info.clinic_answer(context.clinic(), "hours"))
            return []
        tz = context.clinic().tz
        events: list[EventType] = []
        name = tracker.get_slot("dentist")
        if name not in (None, offers.ANY) and offers.as_id(name) is None:
            dentist = offers.find_dentist(name, dispatcher)
            if dentist is None:
                return [SlotSet("dentist", None)]
            events.append(SlotSet("dentist", str(dentist.id)))
            tracker.slots["dentist"] = str(dentist.id)
        res = context.when_of(tracker, tz)
        if res.error:
            dispatcher.utter_message(text=res.error)
            return events
        window = (
            (res.start, res.end) if res.start and res.end else offers.tracker_window(tracker, tz)
        )
        try:
            treatment = offers.treatment_asked(tracker)
            source = await context.slot_source()
            return events + _offer_from(source, dispatcher, tracker, window, treatment=treatment)
        except BookingError as err:
            dispatcher.utter_message(text=str(err))
            return events


class ActionOfferAlternatives(Action):
    """ "Anything else?" after an offer: the week after the last offered slot."""

    def name(self) -> str:
        return "action_offer_alternatives"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        tz = context.clinic().tz
        window = offers.window_after(tracker.get_slot("offered_slots"), tz)
        window = window or offers.tracker_window(tracker, tz)
        try:
            treatment = offers.treatment_asked(tracker)
            source = await context.slot_source()
            return _offer_from(source, dispatcher, tracker, window, treatment=treatment)
        except BookingError as err:
            dispatcher.utter_message(text=str(err))
            return []
