"""Dentist commands by chat: weekly hours, time off, "my schedule". Dentist role only."""

from __future__ import annotations

import datetime as dt
import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import context, offers
from actions.form_answers import DENTIST_COMMAND
from chatbot.auth import Principal
from chatbot.domain.models import WeeklyHours
from chatbot.domain.timeparse import Mention, Resolution, resolve
from chatbot.errors import BookingError
from chatbot.services import availability, schedule, time_off

REFUSAL = (
    "Sorry, only dentists can manage working hours and schedules. "
    "I can book, move or cancel your appointments though."
)
# Besides the commands only dentists use, words about one's own working calendar: a patient
# saying them gets the refusal ("I work Mon-Thu 9-5 from next week", "I'm off on Friday").
CALENDAR_WORDS = re.compile(
    r"\b(i work|working|my hours|schedule|i'?m off|off (on|next|this|from|until)|holiday|"
    r"vacation|annual leave)\b",
    re.I,
)
# Taking time off, whatever the classifier made of it; freeing time says un-/remove/back.
GOING_OFF = re.compile(
    r"^(?!.*\b(un-?block|remove|cancel|delete|free|open|back|no longer|not off)\b).*"
    r"\b(i'?m off|i am off|i'?ll be off|i will be off|off sick|away|on holiday|on leave)\b",
    re.I,
)
DAY = dt.timedelta(days=1)
_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
# "every afternoon next week", "each Friday", "daily", "on Mondays": a repeating block, which
# one time-off entry cannot hold; blocking only the first day would look done and not be.
REPEATING = re.compile(
    rf"\b(?:every|each)\s+(?:\w+\s+)?(?:day|morning|afternoon|evening|week|weekday|{_WEEKDAY})s?\b"
    rf"|\b(?:daily|weekly)\b|\b{_WEEKDAY}s\b",
    re.I,
)
REPEATING_HELP = (
    'I can block one stretch of time at a time, for example "block Monday 3-6pm" or "I\'m off '
    'next Friday". For a change that repeats, set your weekly hours, for example "I work '
    'Mon-Fri 9-15 from next week".'
)


def _dentist(tracker: Tracker, dispatcher: CollectingDispatcher) -> Principal | None:
    who = context.principal(tracker)
    if who is None or who.role != "dentist":
        if _misread(tracker):  # a patient's words misread as a command: ask again, no refusal
            dispatcher.utter_message(response="utter_ask_rephrase")
        else:
            dispatcher.utter_message(text=context.SIGN_IN if who is None else REFUSAL)
        return None
    return who


def _misread(tracker: Tracker) -> bool:
    """A patient's message with no calendar words in it ("my crown came off, can someone glue
    it back on?") classified as a dentist command: not a would-be dentist to refuse."""
    who = context.principal(tracker)
    text = context.user_text(tracker)
    calendar = DENTIST_COMMAND.search(text) or CALENDAR_WORDS.search(text)
    return who is not None and who.role == "patient" and not calendar


def blocking_more(tracker: Tracker) -> bool:
    """A dentist's message that names a time right after a block ("and tuesday 1-2pm"): read
    as a booking (which dentists do not make here), it is one more block."""
    who = context.principal(tracker)
    if who is None or who.role != "dentist":
        return False
    if "action_dentist_block_time" not in _actions_of_previous_turn(tracker):
        return False
    return context.when_of(tracker, context.clinic().tz).start is not None


def _actions_of_previous_turn(tracker: Tracker) -> list[str]:
    """The actions that answered the user message before the latest one."""
    users = [i for i, e in enumerate(tracker.events) if e.get("event") == "user"]
    if len(users) < 2:
        return []
    turn = tracker.events[users[-2] + 1 : users[-1]]
    return [str(e.get("name")) for e in turn if e.get("event") == "action"]


def _whole_days(m: Mention) -> bool:
    return bool(m.start and m.end and m.start.time() == m.end.time() == dt.time(0))


def _days_of(m: Mention, now: dt.datetime) -> set[int]:
    """Weekdays a mention names: a day range inside it ("Mon-Thu 9-5") if there is one.
    The range is found by resolving the mention's own leading words with the resolver."""
    words = m.text.split()
    for cut in range(len(words), 0, -1):
        part = resolve(" ".join(words[:cut]), now).mentions
        if part and _whole_days(part[0]) and part[0].start and part[0].end:
            span = (part[0].end - part[0].start).days
            if span < 7:
                return {(part[0].start + i * DAY).isoweekday() for i in range(span)}
    return {m.start.isoweekday()} if m.start else set()


def weekly_hours(text: str, now: dt.datetime) -> tuple[list[WeeklyHours], dt.date] | None:
    """ "I work Mon–Thu 9–5 from next week" → hours per weekday and the first day they apply.
    The resolver's whole-message reading of recurring hours comes first; per-mention day
    ranges are the fallback for phrasings it does not read as recurring."""
    res = resolve(text, now)
    mentions = res.mentions
    timed = [m for m in mentions if m.start and m.end and not _whole_days(m)]
    starts = [m.start.date() for m in mentions if _whole_days(m) and m.start and m not in timed]
    if res.weekdays and res.daily_start and res.daily_end:
        daily = [WeeklyHours(d, res.daily_start, res.daily_end) for d in res.weekdays]
        # "from next month": a dated mention besides the recurring one says when they start
        dated = [m.start.date() for m in mentions if m.start and not m.weekdays]
        return daily, res.effective_from or max([*dated, (now + DAY).date()])
    if not timed:
        return None
    hours = [
        WeeklyHours(day, m.start.time().replace(tzinfo=None), m.end.time().replace(tzinfo=None))
        for m in timed
        for day in sorted(_days_of(m, now))
        if m.start and m.end
    ]
    return hours, max([*starts, (now + DAY).date()])


class ActionDentistSetHours(Action):
    def name(self) -> str:
        return "action_dentist_set_hours"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        who = _dentist(tracker, dispatcher)
        if who is None or who.dentist_id is None:
            return []
        parsed = weekly_hours(context.user_text(tracker), context.now())
        if not parsed or not parsed[0]:
            dispatcher.utter_message(
                text='Which days and hours? For example "Mon–Thu 9–5 from next week".'
            )
            return []
        hours, valid_from = parsed
        try:
            availability.set_weekly_hours(
                context.engine(), who, dentist_id=who.dentist_id, hours=hours, valid_from=valid_from
            )
        except BookingError as err:
            dispatcher.utter_message(text=str(err))
            return []
        days = ", ".join(
            f"{dt.date(2024, 1, h.isodow):%a} {h.start:%H:%M}–{h.end:%H:%M}" for h in hours
        )
        dispatcher.utter_message(text=f"Done: from {valid_from:%a %d %b} you work {days}.")
        return []


def _time_off(res: Resolution) -> tuple[dt.datetime, dt.datetime] | str:
    """The window to block, or what to ask. For time off, "I'm not available Wednesday 1-4"
    names the time to block: a negated mention counts as the window itself."""
    if res.error:
        return res.error
    if res.start and res.end:
        return res.start, res.end
    negated = [m for m in res.mentions if m.negated and m.start and m.end]
    if negated and negated[0].start and negated[0].end:
        return negated[0].start, negated[0].end
    return 'Which time should I block? For example "Friday 2–5pm".'


class ActionDentistBlockTime(Action):
    def name(self) -> str:
        return "action_dentist_block_time"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        who = _dentist(tracker, dispatcher)
        if who is None or who.dentist_id is None:
            return []
        if REPEATING.search(context.user_text(tracker)):
            dispatcher.utter_message(text=REPEATING_HELP)
            return [SlotSet("suggested", "block")]
        tz = context.clinic().tz
        window = _time_off(context.when_of(tracker, tz))
        if isinstance(window, str):
            dispatcher.utter_message(text=window)
            return [SlotSet("suggested", "block")]  # a time typed next continues this
        start, finish = window
        try:
            availability.block_time(
                context.engine(),
                who,
                dentist_id=who.dentist_id,
                starts_at=start,
                ends_at=finish,
                reason="blocked in chat",
            )
        except BookingError as err:
            dispatcher.utter_message(text=str(err))
            return []
        end = (
            finish - dt.timedelta(minutes=1)
            if _whole_days(Mention("", None, None, start, finish))
            else finish
        )
        dispatcher.utter_message(
            text=f"Blocked {offers.when_text(start, tz)} to {offers.when_text(end, tz)}."
        )
        return [SlotSet("suggested", None)]


class ActionDentistUnblockTime(Action):
    """ "unblock Friday afternoon", "remove my block on the 18th": frees that time again."""

    def name(self) -> str:
        return "action_dentist_unblock_time"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        who = _dentist(tracker, dispatcher)
        if who is None or who.dentist_id is None:
            return []
        if GOING_OFF.search(context.user_text(tracker)):
            # "I'm off on the 18th" misread as freeing time: it takes the time off
            return ActionDentistBlockTime().run(dispatcher, tracker, domain)
        tz = context.clinic().tz
        res = context.when_of(tracker, tz)
        if res.error or not (res.start and res.end):
            dispatcher.utter_message(
                text=res.error
                or 'Which time should I free? For example "unblock Friday afternoon".'
            )
            return []
        try:
            freed = time_off.unblock(
                context.engine(), who, dentist_id=who.dentist_id, start=res.start, end=res.end
            )
        except BookingError as err:
            dispatcher.utter_message(text=str(err))
            return []
        span = f"{offers.when_text(res.start, tz)} to {offers.when_text(res.end, tz)}"
        if not freed:
            dispatcher.utter_message(text=f"You had no time off from {span}.")
            return []
        dispatcher.utter_message(text=f"Done: {span} is open for bookings again.")
        return []


def say_schedule(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """The signed-in dentist's bookings in the window the message names (default: today)."""
    who = _dentist(tracker, dispatcher)
    if who is None or who.dentist_id is None:
        return []
    tz = context.clinic().tz
    res = context.when_of(tracker, tz)
    today = dt.datetime.combine(context.now(tz).date(), dt.time(0), tz)
    start, end = (res.start, res.end) if res.start and res.end else (today, today + DAY)
    rows = schedule.dentist_schedule(
        context.engine(), who, dentist_id=who.dentist_id, start=start, end=end
    )
    if not rows:
        dispatcher.utter_message(
            text=f"Nothing booked from {offers.when_text(start, tz)} "
            f"to {offers.when_text(end, tz)}."
        )
        return []
    lines = "\n".join(
        f"• {offers.when_text(dt.datetime.fromisoformat(str(r['starts_at'])), tz)} "
        f"{r.get('treatment_name', r['treatment'])} – {r.get('patient_name', '')}"
        + (" (held)" if r["status"] == "held" else "")
        for r in rows
    )
    dispatcher.utter_message(text=f"Your schedule:\n{lines}")
    return []
