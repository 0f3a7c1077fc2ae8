"""Grammar rules for days: relative words, weekdays, ordinals, calendar and numeric dates; the
longer periods ("in 2 weeks", "next week", "in June", "24-28 Dec") are in `periods`."""

from __future__ import annotations

import re
from datetime import date, timedelta

from .lexicon import MONTH_INDEX, MONTH_RE, MONTHS, NOT_A_DAY_AFTER, WEEKDAY_INDEX, WEEKDAY_RE
from .pieces import DIGIT, Day, Env, Fields, Rule, add_months, days_in_month, monday_of, rule

ORD = r"(?:st|nd|rd|th)"
_COUNT = {"a": 1, "an": 1, "a couple of": 2, "a couple": 2, "couple of": 2, "a few": 3, "few": 3}


def count(word: str) -> int:
    return _COUNT[word] if word in _COUNT else int(word)


def one_day(day: date, **extra: object) -> Fields:
    return {"day": Day(day, day, **extra)}  # type: ignore[arg-type]


def _missing(month: int, day: int, year: int | None = None) -> Fields:
    name = MONTHS[month - 1].capitalize()
    if day < 1 or day > 31:
        return {"error": f"{name} {day} doesn't exist"}
    suffix = f", {year}" if year is not None else ""
    return {"error": f"{name} {day}{suffix} doesn't exist"}


def weekday_on_or_after(start: date, weekday: int) -> date:
    return start + timedelta(days=(weekday - start.weekday()) % 7)


def calendar_date(env: Env, month: int, day: int, year: int | None) -> Fields:
    """A month/day (and maybe year); without a year, its next occurrence from today."""
    if not 1 <= month <= 12:
        return {"error": f"month {month} doesn't exist"}
    if year is not None:
        year = year + 2000 if year < 100 else year
        if not 1 <= day <= days_in_month(year, month):
            return _missing(month, day, year)
        return one_day(date(year, month, day))
    year = env.today.year
    for offset in range(9):  # February 29 may be up to 8 years away
        if 1 <= day <= days_in_month(year + offset, month):
            found = date(year + offset, month, day)
            if found >= env.today:
                return one_day(found, roll="year")
        elif not (month == 2 and day == 29):
            return _missing(month, day)
    return _missing(month, day)


@rule(
    r"^(?:the )?(?P<w>day after tomorrow|overmorrow|tomorrow|today|yesterday|tonight)$",
    needs=("tomorrow", "today", "yesterday", "tonight", "overmorrow"),
)
def _relative_word(m: re.Match[str], env: Env) -> Fields:
    word = m["w"]
    if word == "tonight":
        return {"day": Day(env.today, env.today), "part": ("night", None)}
    shift = {"today": 0, "tomorrow": 1, "yesterday": -1}.get(word, 2)
    return one_day(env.today + timedelta(days=shift))


@rule(r"^(?:later (?:on )?today|later today|later on|later this day)$", needs=("later",))
def _later_today(m: re.Match[str], env: Env) -> Fields:
    return {"day": Day(env.today, env.today, since=env.now)}


@rule(
    r"^(?:(?P<mod>this coming|this|next|coming|upcoming|the following|following|every|each) )?"
    rf"(?P<wd>{WEEKDAY_RE})(?P<pl>s)?(?: (?P<post>after next|(?:of )?next week|(?:of )?this week"
    r"|(?:of )?last week|(?:of )?the week after next|week after next|week|fortnight))?$",
    needs=("day",),
)
def _weekday(m: re.Match[str], env: Env) -> Fields:
    weekday = WEEKDAY_INDEX[m["wd"]]
    post = (m["post"] or "").removeprefix("of ")
    strict = m["mod"] != "this"  # "this Friday" may be today; "Friday", "next Friday" not
    if post in ("next week", "this week", "last week", "the week after next", "week after next"):
        weeks = {"this week": 0, "next week": 1, "last week": -1}.get(post, 2)
        found = monday_of(env.today) + timedelta(weeks=weeks, days=weekday)
        return one_day(found)
    found = weekday_on_or_after(env.today + timedelta(days=1 if strict else 0), weekday)
    if post in ("after next", "week", "fortnight"):  # "Monday after next", "Monday week"
        weeks = 2 if post == "fortnight" else 1  # British "Monday fortnight": a week later
        found = weekday_on_or_after(env.today + timedelta(days=1), weekday) + timedelta(weeks=weeks)
    every = bool(m["pl"]) or m["mod"] in ("every", "each")  # "mondays", "every Monday"
    return one_day(found, roll="week", weekday=not post, weekdays=(weekday + 1,) if every else None)


_SETS = {"weekday": (1, 2, 3, 4, 5), "weekend": (6, 7)}


@rule(
    r"^(?:(?:on|during|every|each|all|any|most) )?(?:the )?(?P<w>weekday|week day|workday|work day"
    r"|working day|business day|weekend)(?P<pl>s)?$",
    needs=("week", "work", "business"),
)
def _weekday_set(m: re.Match[str], env: Env) -> Fields | None:
    """ "weekdays", "every weekday", "on weekends": a recurring set; first..last its first day."""
    word = "weekend" if m["w"] == "weekend" else "weekday"
    if word == "weekend" and not m["pl"] and not m[0].startswith(("every", "each", "on ")):
        return None  # "weekend", "the weekend": the coming one (see `periods`)
    days = _SETS[word]
    first = env.today + timedelta(days=1)
    while first.isoweekday() not in days:
        first += timedelta(days=1)
    return {"day": Day(first, first, weekdays=days)}


@rule(
    rf"(?<!the )(?<!\S)(?:last|this past|past) (?P<wd>{WEEKDAY_RE})$"
    rf"|^(?P<wd2>{WEEKDAY_RE}) just gone$",
    needs=("day",),
)
def _last_weekday(m: re.Match[str], env: Env) -> Fields:
    """ "last Friday": the most recent one before today (one to seven days ago)."""
    weekday = WEEKDAY_INDEX[m["wd"] or m["wd2"]]
    back = (env.today.weekday() - weekday - 1) % 7 + 1
    return one_day(env.today - timedelta(days=back))


@rule(
    r"^(?P<w>last week|last weekend|last month|the day before yesterday|last night)$"
    r"|^(?P<n>\d+|a couple of|a couple|couple of|a few|few|an|a) (?P<unit>days?|weeks?|months?)"
    r" ago$",
    needs=("last", "ago", "before yesterday"),
)
def _past(m: re.Match[str], env: Env) -> Fields:
    """Past references, resolved as dates in the past (the bot refuses them in words)."""
    today, word = env.today, m["w"]
    if word is None:
        n, unit = count(m["n"]), m["unit"]
        if unit.startswith("month"):
            return one_day(add_months(today, -n))
        return one_day(today - (timedelta(weeks=n) if unit.startswith("week") else timedelta(n)))
    monday = monday_of(today)
    if word == "last week":
        return {"day": Day(monday - timedelta(weeks=1), monday - timedelta(days=1))}
    if word == "last weekend":
        return {"day": Day(monday - timedelta(days=2), monday - timedelta(days=1))}
    if word == "last month":
        first = add_months(today.replace(day=1), -1)
        return {"day": Day(first, today.replace(day=1) - timedelta(days=1))}
    if word == "last night":
        return {"day": Day(today - timedelta(1), today - timedelta(1)), "part": ("night", None)}
    return one_day(today - timedelta(days=2))


@rule(
    r"^(?P<pre>next week|this week|last week|the week after next|week after next)"
    rf"(?: on)? (?P<wd>{WEEKDAY_RE})$",
    needs=("week",),
)
def _week_then_weekday(m: re.Match[str], env: Env) -> Fields:
    weeks = {"this week": 0, "next week": 1, "last week": -1}.get(m["pre"], 2)
    return one_day(monday_of(env.today) + timedelta(weeks=weeks, days=WEEKDAY_INDEX[m["wd"]]))


@rule(
    rf"^(?:the )?(?P<d>\d{{1,2}}){ORD}(?: (?:of )?(?P<which>this month|next month|the month"
    r"|the next month|this coming month))?$",
    needs=DIGIT,
)
def _ordinal(m: re.Match[str], env: Env) -> Fields | None:
    """ "the 13th"; but "the 1st one", "2nd option" pick from a list (`NOT_A_DAY_AFTER`)."""
    after = m.string[m.end() + 1 :].split(" ", 1)[0]
    if m["which"] is None and after in NOT_A_DAY_AFTER:
        return None
    return _ordinal_day(env, int(m["d"]), m["which"])


@rule(
    r"^(?:on )?the (?P<d>\d{1,2})(?: (?:of )?(?P<which>this month|next month))?$"
    r"(?! (?:am|pm|oclock|ish|one|ones|slot|slots|appointment|h)(?!\S))",
    needs=DIGIT,
)
def _the_number(m: re.Match[str], env: Env) -> Fields:
    """ "on the 13": a day of the month; "the 2pm one", "the 3 one" are times (see `clock`)."""
    return _ordinal_day(env, int(m["d"]), m["which"])


@rule(
    r"(?<=day )(?P<d>\d{1,2})$(?! (?:am|pm|oclock|h|hours?|minutes?|to|-)(?!\S))",
    needs=DIGIT,
)
def _day_after_weekday(m: re.Match[str], env: Env) -> Fields | None:
    """ "Friday 24": 13-31 straight after a weekday is the day of the month (1-12 is an hour)."""
    day = int(m["d"])
    words = m.string[max(0, m.start() - 11) : m.start()].split()
    if not (13 <= day <= 31 and words and words[-1] in WEEKDAY_INDEX):
        return None
    return _ordinal_day(env, day, None)


def _ordinal_day(env: Env, day: int, which: str | None) -> Fields:
    today = env.today
    if which:
        first = today.replace(day=1)
        if which != "this month":
            first = add_months(first, 1)
        return calendar_date(env, first.month, day, first.year)
    if not 1 <= day <= 31:
        return {"error": f"no month has a day {day}"}
    first = today.replace(day=1)
    for months in range(3):
        month = add_months(first, months)
        if day <= days_in_month(month.year, month.month) and month.replace(day=day) >= today:
            return one_day(month.replace(day=day), roll="month")
    return {"error": f"no month has a day {day}"}  # pragma: no cover - unreachable


YEAR = r"(?:(?: ,)? (?P<y>\d{4}))?"


@rule(rf"^(?:the )?(?P<d>\d{{1,2}}){ORD}? (?:of )?(?P<mon>{MONTH_RE}){YEAR}$", needs=DIGIT)
def _day_month(m: re.Match[str], env: Env) -> Fields:
    year = int(m["y"]) if m["y"] else None
    return calendar_date(env, MONTH_INDEX[m["mon"]], int(m["d"]), year)


@rule(
    rf"^(?P<mon>{MONTH_RE}) (?:the )?(?P<d>\d{{1,2}}){ORD}?{YEAR}$(?! (?:am|pm|oclock))",
    needs=DIGIT,
)
def _month_day(m: re.Match[str], env: Env) -> Fields:
    year = int(m["y"]) if m["y"] else None
    return calendar_date(env, MONTH_INDEX[m["mon"]], int(m["d"]), year)


@rule(r"^(?P<y>\d{4})([-/.])(?P<m>\d{1,2})\2(?P<d>\d{1,2})$", needs=DIGIT)
def _iso(m: re.Match[str], env: Env) -> Fields:
    return calendar_date(env, int(m["m"]), int(m["d"]), int(m["y"]))


@rule(
    r"^(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?:(?P=sep)(?P<y>\d{4}|\d{2}))?$(?! (?:am|pm))",
    needs=DIGIT,
)
def _numeric(m: re.Match[str], env: Env) -> Fields | None:
    a, b, sep = int(m["a"]), int(m["b"]), m["sep"]
    year = int(m["y"]) if m["y"] else None
    if sep != "/" and year is None and (sep == "-" or b > 12):
        return None  # "2-5" is a time range, "10.30" a time
    day, month = (a, b) if env.options.locale == "dmy" else (b, a)
    if month > 12 and sep == "/" and day <= 12:
        day, month = month, day  # unambiguous the other way round: 5/21 in a dmy clinic
    if month > 12:
        return None if year is None else {"error": f"{m[0]} isn't a valid date"}
    return calendar_date(env, month, day, year)


RULES: tuple[Rule, ...] = (
    _relative_word,
    _later_today,
    _weekday,
    _weekday_set,
    _last_weekday,
    _past,
    _week_then_weekday,
    _ordinal,
    _the_number,
    _day_after_weekday,
    _day_month,
    _month_day,
    _iso,
    _numeric,
)
