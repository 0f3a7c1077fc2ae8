"""Joining the waitlist by chat ("put me on the waitlist for Tuesday mornings with Dr Lee"),
also offered as a button when a search finds nothing."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import context, offers
from actions.form_answers import named_dentist
from chatbot.errors import BookingError
from chatbot.services import waitlist

DEFAULT_TREATMENT = "checkup"


class ActionJoinWaitlist(Action):
    def name(self) -> str:
        return "action_join_waitlist"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        who = context.principal(tracker)
        if who is None or not who.patient_scoped or who.patient_id is None:
            dispatcher.utter_message(text="The waitlist is for patients; please sign in as one.")
            return []
        tz = context.clinic().tz
        res = context.when_of(tracker, tz)
        start, end = (
            (res.start, res.end) if res.start and res.end else offers.tracker_window(tracker, tz)
        )
        treatment = (
            offers.treatment_from(tracker)
            or offers.treatment_code(tracker.get_slot("treatment"))
            or DEFAULT_TREATMENT
        )
        dentist_id = offers.dentist_id_of(tracker.get_slot("dentist"))
        name = named_dentist(tracker)
        if name:
            dentist = offers.find_dentist(name, dispatcher)
            if dentist is None:
                return []
            dentist_id = dentist.id
        try:
            waitlist.join(
                context.engine(), who, patient_id=who.patient_id, treatment=treatment,
                start=start, end=end, dentist_id=dentist_id,
            )  # fmt: skip
        except BookingError as err:
            dispatcher.utter_message(text=str(err))
            return []
        with_whom = (
            offers.dentist_names().get(dentist_id, "any dentist") if dentist_id else "any dentist"
        )
        what = offers.treatment_name(treatment)
        span = f"{offers.when_text(start, tz)} to {offers.when_text(end, tz)}"
        dispatcher.utter_message(
            text=f"You're on the waitlist for a {what} with {with_whom}, {span}. If a time "
            "frees up, I'll hold it for you and the offer appears on your page."
        )
        return []
