"""Answers from the clinic's own data: FAQ, dentists, emergencies, and asking for a person."""

from __future__ import annotations

import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import context, offers
from chatbot.domain.models import Clinic
from chatbot.errors import BookingError
from chatbot.services import booking, catalog, slot_search
from chatbot.services.slot_search import SlotQuery

EMERGENCY = "emergency"  # the treatment code of an urgent visit
EMERGENCY_ADVICE = (
    "That should be seen soon. If you have heavy bleeding, a swollen face or trouble "
    "breathing, call 112 now."
)


def _entity(tracker: Tracker, name: str) -> str | None:
    values = [
        e.get("value")
        for e in (tracker.latest_message or {}).get("entities") or []
        if e.get("entity") == name
    ]
    return str(values[0]) if values else None


# Words that name an FAQ topic when the entity extractor found none ("anywhere to park?").
TOPIC_WORDS = {
    "parking": re.compile(r"\bpark", re.I),
    "prices": re.compile(r"\b(cost|price|how much|fee|charge|expensive|cheap)", re.I),
    "insurance": re.compile(r"\b(insur|covered|cover it)", re.I),
    "payment": re.compile(r"\b(pay|card|cash|invoice)", re.I),
    "hours": re.compile(r"\b(open|close|closing|hours)\b", re.I),
    "address": re.compile(r"\b(where|address|located|directions|find you|get there)", re.I),
    "contact": re.compile(r"\b(phone|call|email|e-mail|contact|number)\b", re.I),
    "services": re.compile(r"\b(services|treatments|what do you (do|offer))", re.I),
}


def topic_of(tracker: Tracker) -> str | None:
    """The FAQ topic: the `topic` entity, else the first topic the words point at."""
    topic = _entity(tracker, "topic")
    if topic in TOPIC_WORDS:
        return topic
    text = context.user_text(tracker)
    return next((name for name, words in TOPIC_WORDS.items() if words.search(text)), None)


def _hours(clinic: Clinic) -> str:
    return "; ".join(f"{days}: {hours}" for days, hours in clinic.opening_hours.items())


def _prices() -> str:
    return ", ".join(
        f"{t.name} €{t.price_cents / 100:.0f}" for t in catalog.list_treatments(context.engine())
    )


def clinic_answer(clinic: Clinic, topic: str | None) -> str:
    """The answer to one FAQ topic from the clinic row and treatments; no topic → summary."""
    info = {k: str(v) for k, v in clinic.info.items()}
    treatments = catalog.list_treatments(context.engine())
    answers: dict[str, str] = {
        "hours": f"Opening hours: {_hours(clinic)}.",
        "address": f"We're at {clinic.address}.",
        "contact": f"Call us on {clinic.phone} or write to {clinic.email}.",
        "prices": f"Prices: {_prices()}. Insurance may cover part of it.",
        "services": f"We offer: {', '.join(t.name for t in treatments)}.",
        **{key: info[key] for key in ("insurance", "parking", "payment") if key in info},
    }
    if topic in answers:
        return answers[topic]
    return (
        f"{clinic.name}, {clinic.address}. Opening hours: {_hours(clinic)}. Phone {clinic.phone}."
    )


class ActionClinicInfo(Action):
    def name(self) -> str:
        return "action_clinic_info"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(text=clinic_answer(context.clinic(), topic_of(tracker)))
        return []


class ActionDentistInfo(Action):
    def name(self) -> str:
        return "action_dentist_info"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        name = _entity(tracker, "dentist")
        if name in (None, offers.ANY):
            everyone = catalog.list_dentists(context.engine())
            dispatcher.utter_message(
                text="Our dentists: " + "; ".join(f"{d.display_name} ({d.bio})" for d in everyone)
            )
            return []
        dentist = offers.find_dentist(name, dispatcher)
        if dentist:
            dispatcher.utter_message(
                text=(
                    f"{dentist.display_name}: {dentist.bio} Phone {dentist.phone}, "
                    f"email {dentist.email}."
                )
            )
        return []


class ActionFindDentist(Action):
    def name(self) -> str:
        return "action_find_dentist"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        treatment = offers.treatment_from(tracker)  # never a stray entity ("up" of "check up")
        try:
            found = catalog.find_dentists(context.engine(), treatment=treatment)
        except BookingError as err:
            dispatcher.utter_message(text=str(err))
            return []
        what = f" for {offers.treatment_name(treatment)}" if treatment else ""
        names = "; ".join(f"{d.display_name} ({d.bio})" for d in found)
        dispatcher.utter_message(text=f"You can see{what}: {names} Shall I look for a free time?")
        return [SlotSet("suggested", "book")]


class ActionEmergency(Action):
    """Urgent advice, then the earliest emergency slots as buttons."""

    def name(self) -> str:
        return "action_emergency"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(text=EMERGENCY_ADVICE)
        clinic = context.clinic()
        source = await context.slot_source()
        found = slot_search.earliest(source, SlotQuery(EMERGENCY, limit=3))
        choices = offers.offer(
            dispatcher,
            found,
            clinic.tz,
            treatment=EMERGENCY,
            intro="These are the earliest emergency appointments:",
        )
        if not choices:
            dispatcher.utter_message(text=f"Please call us on {clinic.phone}.")
        return [
            SlotSet("treatment", EMERGENCY),
            SlotSet("dentist", offers.ANY),
            SlotSet("offered_slots", choices or None),
        ]


class ActionHumanHandoff(Action):
    """Ask for a person: a handoff request the admin dashboard shows live."""

    def name(self) -> str:
        return "action_human_handoff"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        who = context.principal(tracker)
        if who is None:
            dispatcher.utter_message(text=context.SIGN_IN)
            return []
        said = [e.get("text") or "" for e in tracker.events if e.get("event") == "user"][-5:]
        booking.request_handoff(
            context.engine(), who, patient_id=None, sender=tracker.sender_id, reason="\n".join(said)
        )
        dispatcher.utter_message(
            text=(
                "I've asked the front desk to get back to you here as soon as possible. "
                f"If it's urgent, call {context.clinic().phone}."
            )
        )
        return []
