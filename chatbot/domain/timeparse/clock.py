"""Grammar rules for clock times: "3pm", "14:30", "half past 3", "quarter to 3", "noon", "15h30",
"afternoon 3"; the windows of a day built from them are in `ranges`."""

from __future__ import annotations

import re

from .pieces import DIGIT, Clock, Env, Fields, Rule, rule

_PREP = r"(?:(?:at|around|about|approx|approximately|roughly|say|for|like|maybe|by) ){0,2}"
NOT_UNIT = (
    r"(?! (?:days?|weeks?|months?|years?|hours?|minutes?|people|persons|kids|children|teeth"
    r"|tooth|of|times|x|day|week)(?!\S))"
)
_DAY_BEFORE = re.compile(r"(?:day|days|daily|tomorrow|today|weekends|each|every) $")


def after_a_day(m: re.Match[str]) -> bool:
    """Whether the match follows a day word ("Mon-Fri 8 to 4", "tomorrow 9 to 11")."""
    return _DAY_BEFORE.search(m.string, max(0, m.start() - 9), m.start()) is not None


_MONTH_BEFORE = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? $")


def after_a_month(m: re.Match[str]) -> bool:
    """Whether the match follows a month name: its number is a day of that month."""
    return _MONTH_BEFORE.search(m.string, max(0, m.start() - 10), m.start()) is not None


# "N to 3" with N one of these is N minutes before 3 ("10 to 3" is 14:50); other plain
# numbers before "to" start a range ("12 to 1", "9 to 5", see `ranges._range_bare`).
MINUTES_TO = frozenset({5, 10, 15, 20, 25})

# Just before two plain numbers, words that offer a stretch of time: "I'm free 10 to 2" is
# 10:00-14:00, not 13:50 (as "from 10 to 2" and "between 10 to 2" already were).
_STRETCH_BEFORE = re.compile(r"\b(?:free|available|anytime|any time)(?: (?:from|between))? $")


def offers_a_stretch(m: re.Match[str], first: int) -> bool:
    """Whether "`first` to H" is a stretch of hours: after such a word, and `first` can start a
    day ("free 20 to 3" is still 14:40)."""
    if not 7 <= first <= 12:
        return False
    return _STRETCH_BEFORE.search(m.string, max(0, m.start() - 24), m.start()) is not None


_WORD_TIMES = {"noon": Clock(12, 0, fixed=True), "midday": Clock(12, 0, fixed=True)}
_WORD_TIMES["midnight"] = Clock(0, 0, fixed=True)


def make_clock(hour: int, minute: int, meridiem: str | None, text: str) -> Fields:
    """A validated clock time; `text` is the hour as written (a leading zero means 24 h)."""
    if minute > 59 or hour > 23 or (meridiem and hour > 12 and meridiem == "am"):
        shown = f"{hour} {meridiem}" if meridiem and minute == 0 else f"{hour:02d}:{minute:02d}"
        return {"error": f"{shown} isn't a valid time"}
    if meridiem and hour == 0:
        return {"error": f"0 {meridiem} isn't a valid time"}
    if meridiem and hour > 12:
        meridiem = None  # "15pm": lenient, it can only mean 15:00
    fixed = meridiem is None and (hour == 0 or hour > 12 or (len(text) == 2 and text[0] == "0"))
    return {"clock": Clock(hour, minute, meridiem, fixed)}


def atom(i: int) -> str:
    """One end of a range: "3", "3:30", "3pm", "noon", "12 noon", "half 3", "quarter past 3"."""
    return (
        rf"(?:(?:12 )?(?P<w{i}>noon|midday|midnight)|(?:(?P<q{i}>half|quarter past|quarter to) )?"
        rf"(?P<h{i}>\d{{1,2}})(?:[:.](?P<m{i}>\d{{2}}))?(?: ?(?P<r{i}>am|pm))?)"
    )


_QUARTERS = {"half": 30, "quarter past": 15, "quarter to": -15}


def atom_clock(m: re.Match[str], i: int) -> Fields:
    word = m[f"w{i}"]
    if word:
        return {"clock": _WORD_TIMES[word]}
    hour, minute, quarter = m[f"h{i}"], m[f"m{i}"], m[f"q{i}"]
    if quarter and minute is None and 1 <= int(hour) <= 12:
        return minutes_from(Clock(int(hour), 0, m[f"r{i}"]), _QUARTERS[quarter])
    if quarter:
        return {"error": f"{quarter} {m[f'h{i}']} isn't a valid time"}
    return make_clock(int(hour), int(minute or 0), m[f"r{i}"], hour)


def minutes_from(base: Clock, minutes: int) -> Fields:
    """`minutes` (negative: before) from an hour; on a 12-hour clock the hour before 1 is 12
    ("quarter to 1" is 12:45, not 00:45)."""
    total = base.hour * 60 + minutes
    hour, minute = divmod(total % (24 * 60), 60)
    if base.fixed:
        return {"clock": Clock(hour, minute, fixed=True)}
    if hour == 0:
        hour = 12
    if base.meridiem == "pm" and hour < 12:
        return {"clock": Clock(hour, minute, "pm")}
    return make_clock(hour, minute, base.meridiem, str(hour))


@rule(rf"^{_PREP}(?P<h>\d{{1,2}})(?:(?:[:.]| )(?P<m>\d{{2}}))? (?P<mer>am|pm)$", needs=DIGIT)
def _with_meridiem(m: re.Match[str], env: Env) -> Fields:
    return make_clock(int(m["h"]), int(m["m"] or 0), m["mer"], m["h"])


@rule(rf"^{_PREP}(?P<h>\d{{1,2}}):(?P<m>\d{{2}})$", needs=DIGIT)
def _colon(m: re.Match[str], env: Env) -> Fields:
    return make_clock(int(m["h"]), int(m["m"]), None, m["h"])


@rule(
    r"^(?:(?:at|around|about|approx|approximately|roughly|say|for|like) ){1,2}"
    rf"(?P<h>\d{{1,4}})(?:\.(?P<m>\d{{2}})| (?P<m2>\d{{2}}))?${NOT_UNIT}",
    needs=DIGIT,
)
def _after_preposition(m: re.Match[str], env: Env) -> Fields:
    text, minute = m["h"], m["m"] or m["m2"]
    if len(text) >= 3 and minute is None:  # "at 1430"
        text, minute = text[:-2], text[-2:]
    return make_clock(int(text), int(minute or 0), None, text)


@rule(
    rf"^{_PREP}(?P<h>\d{{1,2}})(?:ish| ish| oclock(?: ?(?P<mer>am|pm))?)$", needs=("ish", "oclock")
)
def _oclock(m: re.Match[str], env: Env) -> Fields:
    return make_clock(int(m["h"]), 0, m["mer"], m["h"])


@rule(rf"^{_PREP}(?P<h>\d{{1,2}})h(?P<m>\d{{2}})?$", needs=DIGIT)
def _european(m: re.Match[str], env: Env) -> Fields:
    fields = make_clock(int(m["h"]), int(m["m"] or 0), None, m["h"])
    clock = fields.get("clock")
    return {"clock": Clock(clock.hour, clock.minute, fixed=True)} if clock else fields  # type: ignore[attr-defined]


@rule(
    rf"^{_PREP}(?:12 )?(?P<w>noon|midday|midnight)(?: ?ish)?$", needs=("noon", "midday", "midnight")
)
def _word_time(m: re.Match[str], env: Env) -> Fields:
    return {"clock": _WORD_TIMES[m["w"]]}


@rule(
    rf"^{_PREP}(?:a )?(?P<q>quarter|half|\d{{1,2}})(?P<min> minutes?)? "
    r"(?P<dir>past|after|to|before|till|of) (?P<h>\d{1,2}|noon|midnight)(?: (?P<mer>am|pm))?$"
)
def _past_to(m: re.Match[str], env: Env) -> Fields | None:
    q, direction = m["q"], m["dir"]
    minutes = {"quarter": 15, "half": 30}.get(q) or int(q)
    if q == "half" and direction not in ("past", "after"):
        return None
    if q.isdigit() and not m["min"] and minutes not in MINUTES_TO:
        return None
    if q.isdigit() and m[0][0].isdigit() and (after_a_day(m) or offers_a_stretch(m, minutes)):
        return None  # "Mon-Fri 10 to 2", "free 10 to 2": a range of hours, not 1:50
    if q.isdigit() and m[0][0].isdigit() and after_a_month(m):
        return None  # "Dec 15 after 2pm": a day, then a window ("April at 20 past 2" a time)
    if q.isdigit() and direction == "after" and m["mer"]:
        return None  # "the 15 after 2pm": a day, then a window

    base = _WORD_TIMES.get(m["h"]) or Clock(int(m["h"]), 0, m["mer"])
    if base.hour > 23 or minutes > 59:
        return None
    return minutes_from(base, minutes if direction in ("past", "after") else -minutes)


@rule(rf"^{_PREP}half (?P<h>\d{{1,2}})$(?! (?:past|hours?|an)(?!\S))", needs=("half",))
def _half_hour(m: re.Match[str], env: Env) -> Fields:
    return make_clock(int(m["h"]), 30, None, m["h"])


@rule(
    r"^(?P<h>\d{1,2})(?:[:. ](?P<m>\d{2}))?(?= (?:in the (?:morning|afternoon|evening)"
    r"|at night|tonight|this (?:morning|afternoon|evening)|tomorrow)(?!\S))",
    needs=DIGIT,
)
def _before_daypart(m: re.Match[str], env: Env) -> Fields:
    return make_clock(int(m["h"]), int(m["m"] or 0), None, m["h"])


# A bare hour straight after one of these words (see `_after_day`).
_DAY_WORD_BEFORE = re.compile(r"(?:day|tomorrow|morning|afternoon|evening|night) $")


@rule(
    r"^(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?$(?! (?:am|pm|oclock|h)(?!\S))" + NOT_UNIT,
    needs=DIGIT,
)
def _after_day(m: re.Match[str], env: Env) -> Fields | None:
    """ "friday 10", "afternoon 3": a bare hour straight after a day or daypart name (the
    daypart, a piece of its own, then sets am/pm)."""
    if not _DAY_WORD_BEFORE.search(m.string, max(0, m.start() - 10), m.start()):
        return None
    if int(m["h"]) > 12 and m["m"] is None:
        return None  # "friday 24" is more likely a date than a time
    return make_clock(int(m["h"]), int(m["m"] or 0), None, m["h"])


# A bare hour after a suggestion or correction is a time when the message names a time
# elsewhere ("Wednesday at 3. No wait, make it 4", "late afternoon, maybe 4?").
_TIME_CONTEXT = re.compile(
    r"\d(?::\d\d| ?[ap]m\b| oclock)|\b(?:at|around|about) \d|\b(?:morning|afternoon|evening|noon"
    r"|tonight|lunch\w*|(?:after|before) (?:work|school))\b"
)


_SUGGESTION_BEFORE = re.compile(
    r"\b(?:make it|maybe|actually|no|or|so|instead|rather|mean|meant|perhaps|ideally) $"
)


@rule(
    r"^(?P<h>\d{1,2})$(?! (?:am|pm|oclock|h|st|nd|rd|th|-|to|till|and|or)(?!\S))" + NOT_UNIT,
    needs=DIGIT,
)
def _suggested_hour(m: re.Match[str], env: Env) -> Fields | None:
    if not 1 <= int(m["h"]) <= 12:
        return None
    if not _SUGGESTION_BEFORE.search(m.string, max(0, m.start() - 10), m.start()):
        return None
    if not _TIME_CONTEXT.search(m.string):
        return None
    return make_clock(int(m["h"]), 0, None, m["h"])


@rule(r"^the (?P<h>\d{1,2})(?=(?: oclock)? (?:one|ones|slot|appointment)(?!\S))", needs=DIGIT)
def _the_hour_one(m: re.Match[str], env: Env) -> Fields | None:
    """ "the 3 one": picking an offered slot by its hour, not the 3rd of the month."""
    hour = int(m["h"])
    return make_clock(hour, 0, None, m["h"]) if hour <= 23 else None


RULES: tuple[Rule, ...] = (
    _with_meridiem,
    _colon,
    _after_preposition,
    _oclock,
    _european,
    _word_time,
    _past_to,
    _half_hour,
    _before_daypart,
    _after_day,
    _suggested_hour,
    _the_hour_one,
)
