"""Adapters that turn `dateparser` and Microsoft Recognizers-Text output into the resolver's
contract (date, time, start, end), for `bench_timeparse_compare.py`.

Both libraries find expressions; the contract's conventions are ours, so the adapters apply
them the same way for everyone (generously: the libraries get the clinic's rules for free):
- of several expressions, the date comes from the first one that names a day not in the past,
  the time from the first one that names a clock time (so a date and a time in different
  clauses are combined);
- an hour without am/pm is read in clinic hours (07:00-21:00): 1-6 -> pm;
- a weekday is the first one after today; among a library's past/future alternatives the
  first that is today or later wins;
- an exact time is [t, t + 60 min]; a day is local midnight to midnight; morning 08-12,
  afternoon 12-17, evening/night 17-21; "after 4" ends at 21:00, "before 10" starts at 07:00;
- a time or window without a day is today while it is ahead, else tomorrow.
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from timeparse_cases import Answer, Case  # noqa: E402

from chatbot.domain.timeparse.windows import day_start, later, local  # noqa: E402

OPENS, CLOSES = time(7), time(21)
PARTS = {
    "morning": (time(8), time(12)),
    "afternoon": (time(12), time(17)),
    "evening": (time(17), time(21)),
    "night": (time(17), time(21)),
}
_MERIDIEM = re.compile(r"\d\s*(?:a|p)\.?m\b|noon|midnight|\d{2}:\d{2}", re.IGNORECASE)


@dataclass
class Found:
    """What one message names, before the contract's conventions are applied."""

    day: date | None = None
    last_day: date | None = None  # inclusive, for a range of days
    clock: time | None = None
    window: tuple[time, time | None] | None = None  # None end = midnight


def clinic_hour(clock: time, text: str) -> time:
    """Clinic-hours reading of an hour said without am/pm (the contract's "at 4" = 16:00)."""
    if clock.hour < 12 and not _MERIDIEM.search(text) and not OPENS <= clock < CLOSES:
        return clock.replace(hour=clock.hour + 12)
    return clock


def contract(found: Found, now: datetime) -> Answer:
    zone = now.tzinfo
    assert zone is not None
    today = now.date()
    if found.clock is not None:
        on = found.day
        if on is None:
            on = today if local(today, found.clock, zone) > now else today + timedelta(days=1)
        start = local(on, found.clock, zone)
        return Answer(on.isoformat(), found.clock.strftime("%H:%M"), start, later(start, HOUR))
    if found.window is not None:
        first, last = found.window
        on = found.day
        if on is None:
            edge = (
                day_start(today + timedelta(1), zone) if last is None else local(today, last, zone)
            )
            on = today if edge > now else today + timedelta(days=1)
        end = day_start(on + timedelta(1), zone) if last is None else local(on, last, zone)
        return Answer(on.isoformat(), None, local(on, first, zone), end)
    if found.day is not None:
        last_day = found.last_day or found.day
        start, end = day_start(found.day, zone), day_start(last_day + timedelta(1), zone)
        return Answer(found.day.isoformat(), None, start, end)
    return Answer(None, None, None, None)


HOUR = timedelta(hours=1)


# --- dateparser ---------------------------------------------------------------------------


def dateparser_adapter() -> Callable[[Case], Answer]:
    from dateparser.date import DateDataParser
    from dateparser.search import search_dates

    def answer(case: Case) -> Answer:
        base = case.now.replace(tzinfo=None, second=0, microsecond=0)
        settings: dict[str, Any] = {
            "RELATIVE_BASE": base,
            "PREFER_DATES_FROM": "future",
            "RETURN_TIME_AS_PERIOD": True,
            "DATE_ORDER": case.locale.upper(),
        }
        hits = search_dates(case.utterance, languages=["en"], settings=settings) or []
        parser = DateDataParser(languages=["en"], settings=settings)
        found = Found()
        for text, value in hits:
            period = parser.get_date_data(text).period
            names_day = period != "time" or value.date() != base.date()
            if names_day and found.day is None and value.date() >= base.date():
                found.day = value.date()
            if period == "time" and found.clock is None and found.window is None:
                found.clock = clinic_hour(value.time().replace(second=0), text)
            elif period == "part_of_day" and found.clock is None and found.window is None:
                hour = value.hour
                name = "morning" if hour < 12 else "afternoon" if hour < 17 else "evening"
                found.window = PARTS[name]
        return contract(found, case.now)

    return answer


# --- Microsoft Recognizers-Text ------------------------------------------------------------

_DAYPART = {"TMO": "morning", "TAF": "afternoon", "TEV": "evening", "TNI": "night"}


def recognizers_adapter() -> Callable[[Case], Answer]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from recognizers_date_time import DateTimeRecognizer
        from recognizers_text import Culture

    model = DateTimeRecognizer(Culture.English).get_datetime_model()

    def answer(case: Case) -> Answer:
        base = case.now.replace(tzinfo=None, second=0, microsecond=0)
        found = Found()
        for result in model.parse(case.utterance, base):
            values = (result.resolution or {}).get("values") or []
            kind = result.type_name.removeprefix("datetimeV2.")
            value = _pick(values, base)
            if value is not None:
                _take(found, kind, value)
        return contract(found, case.now)

    return answer


def _pick(values: list[dict[str, Any]], base: datetime) -> dict[str, Any] | None:
    """The alternative the contract means: not in the past, and an hour in clinic hours; else
    the first. An unanchored day in the timex ("XXXX-WXX-5", "XXXX-XX-09") is re-anchored by
    the contract's rule (next such weekday after today, next such day of month from today)."""
    good = [_anchored(v, base.date()) for v in values]
    good = [v for v in good if "not resolved" not in (v.get("value"), v.get("start"))]

    def rank(value: dict[str, Any]) -> tuple[bool, bool]:
        day = _date_of(value)
        future = day is None or day >= base.date()
        clock = _time_of(value.get("value") or value.get("start") or "")
        clinic = clock is None or OPENS <= clock < CLOSES
        return (not future, not clinic)

    return min(good, key=rank) if good else None


_UNANCHORED = re.compile(r"^XXXX-(?:WXX-(?P<wd>[1-7])|(?P<m>XX|\d{2})-(?P<d>\d{2}))(?:$|T)")


def _anchored(value: dict[str, Any], today: date) -> dict[str, Any]:
    match = _UNANCHORED.match(value.get("timex", ""))
    if not match or "value" not in value:
        return value
    if match["wd"]:
        day = today + timedelta(days=(int(match["wd"]) - 1 - today.weekday()) % 7 or 7)
    else:
        day = _next_day_of(today, None if match["m"] == "XX" else int(match["m"]), int(match["d"]))
        if day is None:
            return value
    rest = value["value"][10:]
    return {**value, "value": day.isoformat() + rest}


def _next_day_of(today: date, month: int | None, day: int) -> date | None:
    for offset in range(13):
        year, index = divmod(today.month - 1 + offset, 12)
        candidate_month = index + 1
        if month is not None and candidate_month != month:
            continue
        try:
            found = date(today.year + year, candidate_month, day)
        except ValueError:
            continue
        if found >= today:
            return found
    return None


def _date_of(value: dict[str, Any]) -> date | None:
    text = value.get("value") or value.get("start") or ""
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
    return date(int(match[1]), int(match[2]), int(match[3])) if match else None


def _time_of(text: str) -> time | None:
    match = re.search(r"(?:^|\s)(\d{2}):(\d{2})", text)
    return time(int(match[1]), int(match[2])) if match else None


def _take(found: Found, kind: str, value: dict[str, Any]) -> None:
    """Merge one recognized expression: the first day, and the first clock time or window."""
    day = _date_of(value)
    spans_days = kind == "datetimerange" and (
        value.get("start", "")[:10] != value.get("end", "")[:10]
        or value.get("start") == value.get("end")
    )
    if day is not None and found.day is None and kind != "time":
        found.day = day
        if kind == "daterange" and value.get("end"):
            end = _date_of({"value": value["end"]})
            found.last_day = end - timedelta(days=1) if end and end > day else None
    if found.clock is not None or found.window is not None or spans_days:
        return
    if kind in ("time", "datetime"):
        found.clock = _time_of(value.get("value", ""))
    elif kind in ("timerange", "datetimerange"):
        found.window = _window(value)


def _window(value: dict[str, Any]) -> tuple[time, time | None] | None:
    timex = value.get("timex", "")
    part = next((name for code, name in _DAYPART.items() if timex.endswith(code)), None)
    if part:
        return PARTS[part]
    start = _time_of(value["start"]) if value.get("start") else None
    end = _time_of(value["end"]) if value.get("end") else None
    mod = value.get("Mod")
    if mod == "after" and start:
        return start, CLOSES
    if mod == "before" and (end or start):
        return OPENS, end or start
    if start and end:
        return start, end
    return None
