""" "My appointments" / "my schedule": what is booked for the caller, by role.

Patients and dentists use both phrasings for the same wish, so both actions route on the
verified role: a patient gets their upcoming appointments (`appointments.say_upcoming`), a
dentist their schedule (`dentist.say_schedule`). Kept apart from both feature modules so
neither imports the other.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import appointments, context, dentist
from actions.conversation import task_by_words


class _WhatIsBooked:
    """Routes on the role; anyone else hears the `fallback` feature's own refusal. Not an
    `Action` itself: rasa_sdk registers every `Action` subclass and this one has no name."""

    fallback = "patient"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        who = context.principal(tracker)
        role = who.role if who is not None and who.role in ("patient", "dentist") else None
        if (role or self.fallback) == "dentist":
            return dentist.say_schedule(dispatcher, tracker)
        # "could you cancel all of my upcoming visits" read as a wish to see them: do the task
        # ("when is my appointment tomorrow?" is a wish to see it, never a new booking)
        task = task_by_words(tracker, booking=False)
        return task if task is not None else appointments.say_upcoming(dispatcher, who)


class ActionListAppointments(_WhatIsBooked, Action):
    fallback = "patient"

    def name(self) -> str:
        return "action_list_appointments"


class ActionDentistMySchedule(_WhatIsBooked, Action):
    fallback = "dentist"

    def name(self) -> str:
        return "action_dentist_my_schedule"
