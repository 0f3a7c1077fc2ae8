"""Form validation: booking, rescheduling and cancelling (one FormValidationAction each).

The forms only run for a signed-in patient: for anyone else `required_slots` is empty, the
form ends at once and `outcome` says why (action_booking_outcome tells the user).
Writes happen here, at the step that needs them: picking a slot holds it, "yes" confirms.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import appointments, context, offers
from actions.form_answers import (
    CHANGE_EXISTING,
    DENTIST_COMMAND,
    UNSURE,
    dentist_answer,
    named_dentist,
    names_requested_slot,
    reads_as_answer,
)
from actions.info import EMERGENCY, EMERGENCY_ADVICE
from actions.slot_picks import (
    confirm_booking,
    confirm_move,
    forget_offer,
    hold_choice,
    ordinal_pick,
    typed_choice,
    when_change,
)
from chatbot.auth import Principal
from chatbot.errors import BookingError
from chatbot.services import booking, catalog

Slots = dict[str, Any]
HIM_OR_HER = re.compile(r"\b(him|her)\b", re.I)
CARRIED = ("hold_id", "offered_slots")
CONSULTATION = "consultation"  # what a patient who can't say what the visit is for gets


class GuardedForm(FormValidationAction):
    """Base: who may use the form, and the custom extractions every form shares."""

    @abstractmethod
    def name(self) -> str:
        """validate_<form name>"""

    def blocker(self, tracker: Tracker) -> str | None:
        who = context.principal(tracker)
        if who is None:
            return "sign_in"
        if who.role != "patient":
            return "not_patient"
        starting = tracker.get_slot("requested_slot") is None
        if starting and DENTIST_COMMAND.search(context.user_text(tracker)):
            return "dentist_command"  # "block Friday 2-5pm" from a patient: never a booking
        return None

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        return [] if self.blocker(tracker) else domain_slots

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reason = self.blocker(tracker)
        events = await super().run(dispatcher, tracker, domain)
        return [*events, SlotSet("outcome", reason)] if reason else events

    def extract_when(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return when_change(dispatcher, tracker) if reads_as_answer(tracker) else {}

    def extract_slot_choice(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return typed_choice(tracker) if reads_as_answer(tracker) else {}

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if not reads_as_answer(tracker):
            return []
        return await super().get_extraction_events(dispatcher, tracker, domain)

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Also pass on the hold/offer bookkeeping the extractions set (rasa-sdk drops
        extracted values of slots that are not required by the form)."""
        if not reads_as_answer(tracker):
            return []  # not an answer: the form rejects and a rule handles the message
        carried = {k: v for k, v in tracker.slots_to_validate().items() if k in CARRIED}
        events = await super().get_validation_events(dispatcher, tracker, domain)
        named = {e["name"] for e in events}
        return events + [SlotSet(k, v) for k, v in carried.items() if k not in named]

    def validate_when(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        window = context.decode_window(value)
        if value is None or window is None:
            return {"when": None}
        if window[1] <= context.now():
            # a past time in the opening request is background ("I had a filling last month,
            # can I get it looked at?"), not the time wanted: the question comes in its turn
            if tracker.get_slot("requested_slot") is not None:
                dispatcher.utter_message(
                    text="That time has already passed. Which day would suit you?"
                )
            return {"when": None}
        return {"when": value}


class ValidateBookingForm(GuardedForm):
    def name(self) -> str:
        return "validate_booking_form"

    def blocker(self, tracker: Tracker) -> str | None:
        """Also: "can I change it to the following Tuesday" read as a booking, from a patient
        who has an appointment to change, moves that appointment instead."""
        reason = super().blocker(tracker)
        if reason or tracker.get_slot("requested_slot") is not None:
            return reason
        if CHANGE_EXISTING.search(context.user_text(tracker)):
            who = context.principal(tracker)
            if who is not None and appointments.upcoming(who):
                return "move_instead"
        return None

    def extract_dentist(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        """A dentist named while the form asks for one, whatever the message was classified
        as (the slot's own mapping only listens to booking intents)."""
        if tracker.get_slot("requested_slot") == "dentist" and tracker.get_slot("dentist"):
            return {}
        named = named_dentist(tracker)
        if named is not None and names_requested_slot(tracker):
            return {"dentist": named}
        answer = dentist_answer(tracker)
        starting = tracker.get_slot("requested_slot") is None
        if answer is None and starting and HIM_OR_HER.search(context.user_text(tracker)):
            answer = offers.earlier_dentist(tracker)  # "can I see him then?"
        return {"dentist": answer} if answer else {}

    def extract_treatment(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        """A treatment named in words the entity extractor missed ("get my teeth cleaned"),
        or, as the booking starts, in the patient's messages just before ("how much is
        whitening?" … "ok, can I book one?")."""
        if tracker.get_slot("treatment") or not reads_as_answer(tracker):
            return {}
        code = offers.treatment_from(tracker)
        requested = tracker.get_slot("requested_slot")
        if code is None and requested == "treatment":  # "the second one" of the buttons
            shown = offers.shown_treatments(tracker)
            place = ordinal_pick(context.user_text(tracker), len(shown))
            code = shown[place] if place is not None else None
        if code is None and requested is None:
            code = offers.earlier_treatment(tracker)
        if code is None and requested == "treatment" and UNSURE.search(context.user_text(tracker)):
            code = offers.treatment_code(CONSULTATION)
            if code:
                dispatcher.utter_message(
                    text="Then a consultation is best: the dentist will "
                    "look at it and tell you what it needs."
                )
        return {"treatment": code} if code else {}

    def validate_treatment(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        code = offers.treatment_code(value) or offers.treatment_from(tracker)
        if code is None:
            options = ", ".join(t.name for t in catalog.list_treatments(context.engine()))
            dispatcher.utter_message(text=f"Which treatment do you need? We offer: {options}.")
        if code == EMERGENCY and not tracker.get_slot("dentist"):
            # pain described while booking ("my tooth has been aching for days"): the advice,
            # then the earliest times with whoever is free, as the emergency answer gives
            dispatcher.utter_message(text=EMERGENCY_ADVICE)
            return {"treatment": code, "dentist": offers.ANY}
        return {"treatment": code}

    def validate_dentist(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        if value in (None, offers.ANY):
            return {"dentist": value}
        dentist = offers.find_dentist(value, dispatcher)
        treatment = offers.treatment_code(tracker.get_slot("treatment"))
        if dentist and treatment and not dentist.offers(treatment):
            others = catalog.find_dentists(context.engine(), treatment=treatment)
            names = " or ".join(d.display_name for d in others)
            dispatcher.utter_message(
                text=f"{dentist.display_name} doesn't offer {offers.treatment_name(treatment)}; "
                f"{names} does. Who would you like?"
            )
            return {"dentist": None}
        if dentist is None:
            return {"dentist": None}
        if tracker.get_slot("requested_slot") == "dentist" and asks_about(tracker) and dentist.bio:
            # "does Dr Shah see children?": answered, and taken as the choice (the times
            # offered next are that dentist's; naming another dentist changes it)
            dispatcher.utter_message(text=f"{dentist.display_name}: {dentist.bio}")
        picked = offers.decode_choice(tracker.get_slot("slot_choice"))
        shown = [c for c in map(offers.decode_choice, tracker.get_slot("offered_slots") or []) if c]
        changed = (picked is not None and picked[0] != dentist.id) or (
            bool(shown) and all(c[0] != dentist.id for c in shown)
        )  # "no, with Dr Rossi": what was picked or offered is someone else's time
        return {**(forget_offer(tracker) if changed else {}), "dentist": str(dentist.id)}

    def validate_slot_choice(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return hold_choice(value, dispatcher, tracker)

    def validate_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        if corrects_choice(value, tracker):
            return {"confirmed": None}
        return confirm_booking(value, dispatcher, tracker)


def corrects_choice(value: Any, tracker: Tracker) -> bool:
    """The answer to "Shall I book …?" changes what is being confirmed ("no, make it the
    third one", "no, actually with Dr Lee", "yes, but Thursday"): ask again for the new time
    instead of reading it as yes or no to the old one."""
    changed = tracker.slots_to_validate()
    if "slot_choice" in changed:
        return True
    return value is False and ("dentist" in changed or "when" in changed)


def asks_about(tracker: Tracker) -> bool:
    """Whether the latest message is a question ("does Dr Shah see children?")."""
    intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
    text = context.user_text(tracker).strip()
    return text.endswith("?") or intent in ("ask_dentist_info", "find_dentist")


class AppointmentForm(GuardedForm):
    """Forms about an existing appointment: also blocked when there is none to act on."""

    cancels = False  # "all of them" names every appointment only when cancelling

    def blocker(self, tracker: Tracker) -> str | None:
        reason = super().blocker(tracker)
        if reason or tracker.get_slot("appointment_id"):
            return reason
        who = context.principal(tracker)
        return None if who and appointments.upcoming(who) else "no_appointments"

    def extract_appointment_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return appointments.named_appointment(tracker, cancelling=self.cancels)

    def validate_appointment_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        doc = appointments.own_live(value, dispatcher, tracker)
        if doc is None:
            return {"appointment_id": None}
        return {
            "appointment_id": str(doc["id"]),
            "treatment": doc["treatment"],
            "dentist": str(doc["dentist_id"]),
        }


class ValidateRescheduleForm(AppointmentForm):
    def name(self) -> str:
        return "validate_reschedule_form"

    def validate_slot_choice(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        choice = offers.decode_choice(value)
        if value is None or choice is None:
            return {"slot_choice": None}
        return {"slot_choice": value, "dentist": str(choice[0])}

    def validate_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        if corrects_choice(value, tracker):
            return {"confirmed": None}
        return confirm_move(value, dispatcher, tracker)


class ValidateCancelForm(AppointmentForm):
    cancels = True

    def name(self) -> str:
        return "validate_cancel_form"

    def validate_appointment_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        if value == appointments.ALL:  # "cancel all of them"
            return {"appointment_id": appointments.ALL}
        return super().validate_appointment_id(value, dispatcher, tracker, domain)

    def validate_cancel_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        if value is None:
            return {"cancel_confirmed": None}
        if not value:
            return {"cancel_confirmed": False, "outcome": "kept"}
        who, ref = context.principal(tracker), tracker.get_slot("appointment_id")
        if who is not None and ref == appointments.ALL:
            return cancel_all(who, dispatcher)
        ref = offers.as_id(ref)
        if who is None or ref is None:
            return {"cancel_confirmed": None, "appointment_id": None}
        try:
            booking.cancel(context.engine(), who, ref, reason="cancelled in chat")
        except BookingError as err:
            dispatcher.utter_message(text=str(err))
            return {"cancel_confirmed": False, "outcome": "failed"}
        return {"cancel_confirmed": True, "outcome": "cancelled", "outcome_ref": float(ref)}


def cancel_all(who: Principal, dispatcher: CollectingDispatcher) -> Slots:
    """Every upcoming appointment of the patient, each in its own transaction (one that can no
    longer be cancelled is said and the others still go)."""
    done = 0
    for doc in appointments.upcoming(who):
        try:
            booking.cancel(context.engine(), who, doc["id"], reason="cancelled in chat")
        except BookingError as err:
            dispatcher.utter_message(text=f"{appointments.describe(doc)}: {err}")
        else:
            done += 1
    return {"cancel_confirmed": True, "outcome": "cancelled_all", "outcome_ref": float(done)}
