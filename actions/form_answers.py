"""Which messages a form reads as an answer, and which it leaves to the rules.

A form reads its answer intents (ANSWER_INTENTS) and, whatever the intent, a message that names
what it is asking for (a dentist when asked which dentist, "with Dr Rossi instead" while
choosing). Anything else extracts nothing, so the form rejects and a rule in
data/rules_forms.yml (generated from these tables by scripts/form_rules.py) answers it or ends
the form.
"""

from __future__ import annotations

import re

from rasa_sdk import Tracker

from actions import context, offers
from actions.slot_picks import ordinal_pick
from chatbot.services import catalog

# The intents each form reads as an answer. Any other intent (a question, goodbye, another
# task) extracts nothing, so the form rejects and a rule in data/rules_forms.yml (generated
# from this table by scripts/form_rules.py) answers it or ends the form.
ANSWER_INTENTS: dict[str, frozenset[str]] = {
    "booking_form": frozenset(
        {
            "inform",
            "book_appointment",
            "check_availability",
            "request_alternatives",
            "choose_slot",
            "affirm",
            "deny",
            "find_dentist",
        }
    ),
    "reschedule_form": frozenset(
        {
            "inform",
            "reschedule_appointment",
            "check_availability",
            "request_alternatives",
            "choose_slot",
            "choose_appointment",
            "affirm",
            "deny",
        }
    ),
    "cancel_form": frozenset(
        {"inform", "cancel_appointment", "choose_appointment", "affirm", "deny"}
    ),
}
# A message the classifier is unsure of may still answer the question ("a routine checkup
# this time round"): every form tries it; when it fills nothing the fallback rule answers.
ANSWER_INTENTS = {form: intents | {"nlu_fallback"} for form, intents in ANSWER_INTENTS.items()}
# The intent that opened each form: said again mid-form, it is not a misunderstanding.
OWN_INTENT = {
    "booking_form": "book_appointment",
    "reschedule_form": "reschedule_appointment",
    "cancel_form": "cancel_appointment",
}
FALLBACK = "action_fallback"  # a message not understood: the form's question stays unanswered
# Words only a dentist managing their calendar uses ("block Friday 2-5pm", "unblock the 18th",
# "time off"). Deliberately narrow: "I work until 5, can I come after?" is a patient booking.
DENTIST_COMMAND = re.compile(
    r"\b(un)?block\b|\btime ?off\b|\bday off\b|\bmy (working|office) hours\b", re.IGNORECASE
)
# "change it to Tuesday", "move my appointment", "push it back a week": about a booking made
# before, not a new one (only read when a booking form would start).
CHANGE_EXISTING = re.compile(
    r"\b(change|move|shift|push|bring|switch)\s+(it|that|my\s+(appointment|booking|visit|"
    r"check-?up|cleaning|filling))\b|\breschedul",
    re.I,
)
# "mornings", "evenings are better" come out as greet/goodbye (good morning, good evening): a
# time the booking can use is an answer. A bare "morning!" or "good evening" stays a greeting.
SALUTATIONS = frozenset({"greet", "goodbye"})
BARE_SALUTATION = re.compile(r"^\W*(good\s+)?(morning|afternoon|evening|night)\W*$", re.I)
PREFERRED_PART = re.compile(
    r"\b(mornings|afternoons|evenings|nights)\b|\b(morning|afternoon|evening|lunch ?time)\b.*"
    r"\b(best|better|prefer|suits?|works?|fine|ok|please|pls|if possible|ideally)\b",
    re.I,
)
FAREWELL = re.compile(r"\b(bye|cheers|see (you|ya)|thanks|thank you|ta|good ?night)\b", re.I)
# What a real "stop" says; a message classified as stop without any of it is read as an answer.
STOP_WORDS = re.compile(
    r"\b(stop|cancel|quit|exit|abort|forget (it|that|about it)|never ?mind|no,? thanks?|"
    r"leave it|drop (it|that)|don'?t (want|bother|need)|not (any ?more|now|today|interested)|"
    r"changed? my mind|no longer|no need|let'?s not|actually no|skip (it|that)|later)\b",
    re.I,
)
CORRECTION = re.compile(r"\b(instead|rather|prefer|switch|change|actually|with)\b", re.I)
# "Do you have a dentist in mind?" answered with "whoever", "doesn't matter", "the earliest".
NOT_SURE = r"don'?t know|not sure|unsure|no idea|idk|no clue"
NO_PREFERENCE = re.compile(
    r"\b(any(one|body| of them| dentist)?|who(m)?ever|whichever|whenever|"
    r"no (preference|one in mind)|not really|(do(es)?n'?t|does not|do not) (matter|mind|care)|"
    rf"earliest|soonest|first (available|free)|{NOT_SURE})\b",
    re.I,
)
UNSURE = re.compile(rf"\b({NOT_SURE})\b", re.I)  # "not sure what it's for": a consultation


def form_name(tracker: Tracker) -> str:
    return str((tracker.active_loop or {}).get("name") or "")


def reads_as_answer(tracker: Tracker) -> bool:
    """Whether the latest message is an answer to the open form: an answer intent (see
    ANSWER_INTENTS), or, whatever the intent, it names what the form is asking for (a dentist
    when asked which dentist, a treatment when asked what for: "I'll go with dr shah" is an
    answer even when it is classified as something else)."""
    intent = ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""
    form = form_name(tracker)
    if not form or intent in ANSWER_INTENTS.get(form, frozenset()):
        return True
    if intent in SALUTATIONS and form != "cancel_form" and tells_time(tracker):
        return True
    if intent == "stop" and not STOP_WORDS.search(context.user_text(tracker)):
        return True  # "whenever suits" misread as stop: nothing in it says stop
    return names_requested_slot(tracker)


def tells_time(tracker: Tracker) -> bool:
    """A greeting/goodbye that is really a time of day the patient prefers ("mornings",
    "evenings are better for me"); never a farewell ("ok, bye for today", "see you tonight")."""
    text = context.user_text(tracker)
    if BARE_SALUTATION.match(text) or FAREWELL.search(text) or not PREFERRED_PART.search(text):
        return False
    return bool(context.when_of(tracker, context.clinic().tz).mentions)


def names_requested_slot(tracker: Tracker) -> bool:
    requested = tracker.get_slot("requested_slot")
    if requested == "dentist":  # a name, or no preference ("whenever" read as stop)
        return named_dentist(tracker) is not None or bool(
            NO_PREFERENCE.search(context.user_text(tracker))
        )
    if requested in ("slot_choice", "confirmed"):  # "Dr Rossi instead", not "Dr Rossi's phone?"
        text = context.user_text(tracker)
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        stated = intent == "inform" and not text.rstrip().endswith("?")  # "Dr Lee did it"
        return named_dentist(tracker) is not None and (bool(CORRECTION.search(text)) or stated)
    if requested == "treatment":
        return offers.treatment_from(tracker) is not None
    return False


def named_dentist(tracker: Tracker) -> str | None:
    """A dentist entity of the latest message, whatever its intent."""
    entities = (tracker.latest_message or {}).get("entities") or []
    values = [str(e["value"]) for e in entities if e.get("entity") == "dentist" and e.get("value")]
    return values[0] if values else None


def dentist_answer(tracker: Tracker) -> str | None:
    """What a message that names no dentist answers to "Do you have a dentist in mind?": a
    place among the buttons ("the 2nd one", "the last" = Anyone) or anyone, for no, whoever,
    the earliest, or the time instead ("Thursday after 4"); anyone also the second time the
    question goes unanswered, so it is never asked a third. None: ask again."""
    if tracker.get_slot("requested_slot") != "dentist" or named_dentist(tracker):
        return None
    intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
    text = context.user_text(tracker)
    if intent == "deny" or NO_PREFERENCE.search(text):
        return offers.ANY
    treatment = offers.treatment_code(tracker.get_slot("treatment"))
    shown = catalog.find_dentists(context.engine(), treatment=treatment)  # the buttons' order
    place = ordinal_pick(text, len(shown) + 1)  # + "Anyone"
    if place is not None:
        return str(shown[place].id) if place < len(shown) else offers.ANY
    if context.when_of(tracker, context.clinic().tz).start is not None:
        return offers.ANY
    return offers.ANY if times_asked(tracker, "dentist") >= 2 else None


def times_asked(tracker: Tracker, slot: str) -> int:
    """How often the open form has asked for `slot` after a message it tried to read as the
    answer (asking again after an aside such as "where do I park?" does not count). Rasa logs
    no event for the ask action a form runs, but every ask sets `requested_slot`."""
    form = form_name(tracker)
    asked, first_action = 0, None
    for event in tracker.events:
        kind = event.get("event")
        if kind == "user":
            first_action = None
        elif kind == "action" and first_action is None:
            first_action = event.get("name")
        elif kind == "active_loop" and event.get("name") == form:
            asked, first_action = 0, form  # the turn that starts the form asks its first question
        elif (
            kind == "slot" and event.get("name") == "requested_slot" and event.get("value") == slot
        ):
            asked += first_action in (form, FALLBACK)
    return asked
