"""Grammar rules for periods and offsets: "in 2 weeks", "a week from Monday", "next week", "the
weekend", "end of the month", "in June", and ranges of days ("24-28 Dec", "June 3-5")."""

from __future__ import annotations

import re
from datetime import date, timedelta

from .dates import ORD, YEAR, calendar_date, count, one_day, weekday_on_or_after
from .lexicon import MONTH_INDEX, MONTH_RE, WEEKDAY_INDEX, WEEKDAY_RE
from .pieces import DIGIT, Day, Env, Fields, Rule, add_months, days_in_month, monday_of, rule

_N = r"(?P<n>\d+|a couple of|a couple|couple of|a few|few|an|a)"
_UNIT = r"(?P<unit>days?|weeks?|months?|fortnight)"


@rule(rf"^(?:in|within) {_N} {_UNIT}(?: time| from now| from today)?$")
def _in_offset(m: re.Match[str], env: Env) -> Fields:
    return _from_today(m, env)


@rule(rf"^{_N} {_UNIT} (?:from (?:now|today)|today)$", needs=("now", "today"))
def _offset_from_now(m: re.Match[str], env: Env) -> Fields:
    return _from_today(m, env)


def _from_today(m: re.Match[str], env: Env) -> Fields:
    weeks = m["unit"].startswith(("week", "fortnight"))
    rough = m["unit"].startswith("day") and not m["n"].isdigit() and m["n"] not in ("a", "an")
    day = _offset(env.today, count(m["n"]), m["unit"])
    return one_day(day, week_ahead=weeks, approximate=rough)


@rule(
    rf"^{_N} {_UNIT} (?:(?:from|after|on) )?(?:(?P<tmrw>tomorrow)|(?P<mod>this |next |coming )?"
    rf"(?P<wd>{WEEKDAY_RE}))$",
    needs=("day", "tomorrow"),
)
def _offset_from_anchor(m: re.Match[str], env: Env) -> Fields | None:
    """ "2 weeks from Tuesday", British "a week on Tuesday": counted from that Tuesday; after
    "in" ("in 2 weeks on Tuesday") the weekday is inside the week ahead (see `meaning`)."""
    if m.string.endswith(("in ", "within "), 0, m.start()):
        return None
    if m["tmrw"]:
        anchor = env.today + timedelta(days=1)
    else:
        strict = m["mod"] in ("next ", "coming ")
        start = env.today + timedelta(days=1 if strict else 0)
        anchor = weekday_on_or_after(start, WEEKDAY_INDEX[m["wd"]])
    return one_day(_offset(anchor, count(m["n"]), m["unit"]))


@rule(
    rf"^{_N} (?P<unit>weeks?|fortnight)(?= on the {WEEKDAY_RE}(?!\S))", needs=("week", "fortnight")
)
def _weeks_on_the(m: re.Match[str], env: Env) -> Fields | None:
    """ "2 weeks on the Tuesday" is "in 2 weeks on the Tuesday" (the Tuesday of that week);
    without "the", British "2 weeks on Tuesday" counts from Tuesday (`_offset_from_anchor`)."""
    if m.string.endswith(("in ", "within "), 0, m.start()):
        return None
    return _from_today(m, env)


def _offset(start: date, n: int, unit: str) -> date:
    if unit.startswith("month"):
        return add_months(start, n)
    if unit == "fortnight":
        return start + timedelta(weeks=2 * n)
    return start + (timedelta(weeks=n) if unit.startswith("week") else timedelta(days=n))


@rule(
    r"^(?P<w>(?:the )?week after next|next week|this week|(?:this |the |next )?weekend"
    r"|early next week|later this week|(?:the )?end of (?:the|this) week|next month|this month"
    r"|(?:the )?end of (?:the|this) month)$",
    needs=("week", "month"),
)
def _period(m: re.Match[str], env: Env) -> Fields:
    today, word = env.today, m["w"].removeprefix("the ")
    monday = monday_of(today)
    if word in ("week after next", "next week", "early next week"):
        first = monday + timedelta(weeks=2 if word == "week after next" else 1)
        return {"day": Day(first, first + timedelta(days=2 if word.startswith("early") else 6))}
    if word == "this week":
        return {"day": Day(today, monday + timedelta(days=6), since=env.now)}
    if word in ("later this week", "end of the week", "end of this week"):
        first = max(today, monday + timedelta(days=3))
        return {"day": Day(first, monday + timedelta(days=6))}
    if word.endswith("weekend"):
        if word.startswith("next"):
            return {"day": Day(monday + timedelta(days=12), monday + timedelta(days=13))}
        return {"day": Day(max(today, monday + timedelta(days=5)), monday + timedelta(days=6))}
    first_of_month = today.replace(day=1)
    if word == "next month":
        first = add_months(first_of_month, 1)
        return {"day": Day(first, add_months(first, 1) - timedelta(days=1))}
    last = add_months(first_of_month, 1) - timedelta(days=1)
    if word.endswith("month") and word.startswith("end"):
        return {"day": Day(max(today, last - timedelta(days=6)), last)}
    return {"day": Day(today, last, since=env.now)}


@rule(
    rf"^(?:in |during |this |next |early |late |mid |in early |in late )(?:of )?"
    rf"(?P<mon>{MONTH_RE})(?: (?P<y>\d{{4}}))?$(?! \d)"
)
def _month(m: re.Match[str], env: Env) -> Fields:
    month, today = MONTH_INDEX[m["mon"]], env.today
    year = int(m["y"]) if m["y"] else today.year + (month < today.month)
    first = date(year, month, 1)
    last = date(year, month, days_in_month(year, month))
    since = env.now if first <= today <= last else None
    return {"day": Day(max(first, today) if since else first, last, since=since)}


_RANGE_SEP = r" ?(?:-|to|till|until|through|and) ?(?:the )?"


@rule(
    rf"^(?:from |between )?(?:the )?(?P<d1>\d{{1,2}}){ORD}?{_RANGE_SEP}(?P<d2>\d{{1,2}}){ORD}?"
    rf"(?: of)? (?P<mon>{MONTH_RE}){YEAR}$",
    needs=DIGIT,
)
def _days_then_month(m: re.Match[str], env: Env) -> Fields:
    return _day_range(env, MONTH_INDEX[m["mon"]], int(m["d1"]), int(m["d2"]), m["y"])


@rule(
    rf"^(?:from |between )?(?P<mon>{MONTH_RE}) (?:the )?(?P<d1>\d{{1,2}}){ORD}?{_RANGE_SEP}"
    rf"(?P<d2>\d{{1,2}}){ORD}?{YEAR}$(?! (?:am|pm))",
    needs=DIGIT,
)
def _month_then_days(m: re.Match[str], env: Env) -> Fields:
    return _day_range(env, MONTH_INDEX[m["mon"]], int(m["d1"]), int(m["d2"]), m["y"])


def _day_range(env: Env, month: int, d1: int, d2: int, year: str | None) -> Fields:
    last = calendar_date(env, month, d2, int(year) if year else None)
    if "error" in last:
        return last
    end = last["day"].first  # type: ignore[attr-defined]
    if d1 > d2:
        return {"error": f"the range {d1}-{d2} runs backwards"}
    first = calendar_date(env, month, d1, end.year)
    if "error" in first:
        return first
    return {"day": Day(first["day"].first, end)}  # type: ignore[attr-defined]


RULES: tuple[Rule, ...] = (
    _in_offset,
    _offset_from_now,
    _offset_from_anchor,
    _weeks_on_the,
    _period,
    _month,
    _days_then_month,
    _month_then_days,
)
