"""Slot offers as chat buttons and the small lookups the booking actions share."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import context
from chatbot.domain import matching
from chatbot.domain.models import Dentist, Slot
from chatbot.errors import BookingError
from chatbot.services import catalog, slot_search
from chatbot.services.slot_search import SlotQuery, SlotSource

OFFER_LIMIT = 5
DEFAULT_DAYS = 7
ANY = "any"
_ID = re.compile(r"[0-9]{1,12}")


def as_id(value: Any) -> int | None:
    """A database id from a slot or button value: ASCII digits only ("²", "١٢" are not)."""
    text = str(value or "").strip()
    return int(text) if _ID.fullmatch(text) else None


def when_text(start: dt.datetime, tz: dt.tzinfo) -> str:
    """'Tue 1 Dec, 09:00' in the clinic's zone."""
    local = start.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


def encode_choice(slot: Slot) -> str:
    return f"{slot.dentist_id}|{slot.starts_at.isoformat()}"


def decode_choice(value: Any) -> tuple[int, dt.datetime] | None:
    try:
        dentist, start = str(value).split("|", 1)
        starts_at = dt.datetime.fromisoformat(start)
        return (int(dentist), starts_at) if starts_at.tzinfo else None
    except ValueError:
        return None


def dentist_names() -> dict[int, str]:
    return {d.id: d.display_name for d in catalog.list_dentists(context.engine())}


def find_dentist(name: Any, dispatcher: CollectingDispatcher) -> Dentist | None:
    """One active dentist for a name ("lee", "Dr Rossi") or id ("2"); says why when not."""
    text = str(name or "").strip()
    if as_id(text) is not None:
        found = [d for d in catalog.list_dentists(context.engine()) if d.id == as_id(text)]
    else:
        found = catalog.find_dentists(context.engine(), name=text) if text else []
    if len(found) != 1:
        names = ", ".join(d.display_name for d in catalog.list_dentists(context.engine()))
        dispatcher.utter_message(text=f"I couldn't tell which dentist you mean. We have {names}.")
        return None
    return found[0]


def dentist_id_of(value: Any) -> int | None:
    """The id in the `dentist` slot once validated ("2"), None for anyone."""
    return as_id(value)


def search(
    source: SlotSource,
    treatment: str,
    dentist_id: int | None,
    start: dt.datetime,
    end: dt.datetime,
) -> list[Slot]:
    """Up to OFFER_LIMIT free slots in the window, else the first ones after it. After a
    window inside one day ("Tuesday afternoon", "evenings"), later days at those hours come
    first, then the times closest to them (the clinic closes at 6: "evenings" gets the last
    times of the day, not the first of the morning)."""
    asked = (start, end)
    start = max(start, dt.datetime.now(start.tzinfo))
    found: list[Slot] = []
    if end > start:
        query = SlotQuery(treatment, start, end, dentist_id, OFFER_LIMIT)
        found = slot_search.search(source, query)
    if not found:
        later = max(end, start)
        part_of_a_day = _part_of_a_day(*asked)
        limit = None if part_of_a_day else OFFER_LIMIT
        query = SlotQuery(treatment, later, later + dt.timedelta(days=14), dentist_id, limit)
        found = slot_search.search(source, query)
        if part_of_a_day:
            away = {s: _hours_away(s.starts_at, *asked) for s in found}
            closest = sorted(found, key=lambda s: (away[s], s.sort_key))
            same_hours = [s for s in closest if away[s] == 0]
            found = same_hours or sorted(closest[:OFFER_LIMIT], key=lambda s: s.sort_key)
            found = found[:OFFER_LIMIT]
    return found


def _part_of_a_day(start: dt.datetime, end: dt.datetime) -> bool:
    """A window inside one day ("afternoon", "after 4"), not whole days."""
    return end - start < dt.timedelta(days=1) and (start.time(), end.time()) != (dt.time(0),) * 2


def _hours_away(at: dt.datetime, start: dt.datetime, end: dt.datetime) -> int:
    """Minutes from `at`'s time of day to the hours `start`-`end` (0 inside them)."""
    minutes = _minute_of_day(at.astimezone(start.tzinfo))
    opens = _minute_of_day(start)
    closes = _minute_of_day(end.astimezone(start.tzinfo)) or 24 * 60
    return max(opens - minutes, minutes - closes + 1, 0)


def _minute_of_day(at: dt.datetime) -> int:
    return at.hour * 60 + at.minute


def offer(
    dispatcher: CollectingDispatcher,
    slots: Sequence[Slot],
    tz: dt.tzinfo,
    *,
    intro: str,
    treatment: str | None = None,
) -> list[str]:
    """Say `intro` with one button per slot; returns the offered choices (for `offered_slots`)."""
    if not slots:
        waitlist = {"treatment": treatment} if treatment else {}
        dispatcher.utter_message(
            text="I couldn't find a free time then. Which other day or time would suit you? "
            "Or I can put you on the waitlist and hold a time for you if one frees up.",
            buttons=[
                {
                    "title": "Put me on the waitlist",
                    "payload": f"/join_waitlist{json.dumps(waitlist)}",
                }
            ],
        )
        return []
    names = dentist_names()
    buttons = []
    for slot in slots:
        entities: dict[str, str] = {"slot_choice": encode_choice(slot)}
        if treatment:
            entities["treatment"] = treatment
        buttons.append(
            {
                "title": f"{when_text(slot.starts_at, tz)} · {names.get(slot.dentist_id, '')}",
                "payload": f"/choose_slot{json.dumps(entities)}",
            }
        )
    dispatcher.utter_message(text=intro, buttons=buttons)
    return [encode_choice(s) for s in slots]


def window_after(offered: Any, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime] | None:
    """The week after the last offered slot ("anything else?")."""
    starts = [c[1] for c in map(decode_choice, offered or []) if c]
    if not starts:
        return None
    after = max(starts) + dt.timedelta(minutes=1)
    return after.astimezone(tz), after.astimezone(tz) + dt.timedelta(days=DEFAULT_DAYS)


def treatment_code(text: Any) -> str | None:
    """The catalog code for a treatment slot value ("root canal" → "root_canal")."""
    try:
        return catalog.get_treatment(context.engine(), str(text)).code if text else None
    except BookingError:
        return None


def treatment_asked(tracker: Tracker) -> str:
    """The treatment to search free times for: the slot when it names one, else what the
    latest message names (a stray entity such as "up" of "check up" never sticks), else a
    check-up."""
    return treatment_code(tracker.get_slot("treatment")) or treatment_from(tracker) or "checkup"


def treatment_from(tracker: Tracker) -> str | None:
    """The treatment the latest message names: any treatment entity that maps to the
    catalogue ("teeth" does not, "cleaned" does), else the words of the whole message."""
    return treatment_in(tracker.latest_message or {})


def treatment_in(parse: dict[str, Any]) -> str | None:
    """The treatment one parsed user message names (its entities, else its words)."""
    entities = parse.get("entities") or []
    values = [str(e.get("value")) for e in entities if e.get("entity") == "treatment"]
    text = str(parse.get("text") or "")
    words = "" if text.startswith("/") else text  # a button payload is not words
    candidates = [v for v in [*values, words] if v.strip()]
    if not candidates:
        return None
    treatments = catalog.list_treatments(context.engine())  # one read for every candidate
    found = (matching.find_treatment(treatments, text) for text in candidates)
    return next((t.code for t in found if t is not None), None)


EARLIER_TURNS = 3  # how far back "can I book one?" may refer
FORM_ENDS = ("action_booking_outcome", "action_release_hold")


def shown_treatments(tracker: Tracker) -> list[str]:
    """The treatment codes of the buttons the bot showed last ("the second one" to "What is
    the visit for?" is the second of them)."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            buttons = (event.get("data") or {}).get("buttons") or []
            codes = [_payload_value(b.get("payload"), "treatment") for b in buttons]
            return [c for c in codes if c]
    return []


def _payload_value(payload: Any, key: str) -> str | None:
    text = str(payload or "")
    if not text.startswith("/") or "{" not in text:
        return None
    try:
        value = json.loads(text[text.index("{") :]).get(key)
    except (ValueError, AttributeError):
        return None
    return str(value) if value else None


def earlier_treatment(tracker: Tracker) -> str | None:
    """The treatment the patient's last few messages before this one named, newest first,
    not looking back past the end of an earlier form (what was booked or dropped then)."""
    codes = (treatment_in(parse) for parse in earlier_messages(tracker))
    return next((code for code in codes if code), None)


def earlier_dentist(tracker: Tracker) -> str | None:
    """The dentist "him"/"her" points at: the one the last few messages before this named
    ("Is Dr Rossi in on Wednesdays?" … "ok can I see him then?")."""
    for parse in earlier_messages(tracker):
        for entity in parse.get("entities") or []:
            if entity.get("entity") == "dentist" and entity.get("value") not in (None, ANY):
                return str(entity["value"])
    return None


def earlier_messages(tracker: Tracker) -> list[dict[str, Any]]:
    """The parses of the patient's messages before this one, newest first (at most
    EARLIER_TURNS, not past the end of an earlier form)."""
    earlier: list[dict[str, Any]] = []
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") in FORM_ENDS:
            break
        if event.get("event") == "user":
            earlier.append(event.get("parse_data") or {"text": event.get("text")})
            if len(earlier) > EARLIER_TURNS:
                break
    return earlier[1:]  # earlier[0] is this message


def treatment_names() -> dict[str, str]:
    """Every treatment's display name by code, in one read."""
    return {t.code: t.name for t in catalog.list_treatments(context.engine())}


def treatment_name(code: Any) -> str:
    try:
        return catalog.get_treatment(context.engine(), str(code)).name
    except BookingError:
        return str(code)


def tracker_window(tracker: Tracker, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The `when` slot's window, else the next DEFAULT_DAYS days."""
    window = context.decode_window(tracker.get_slot("when"))
    if window:
        return window
    start = context.now(tz)
    return start, start + dt.timedelta(days=DEFAULT_DAYS)
