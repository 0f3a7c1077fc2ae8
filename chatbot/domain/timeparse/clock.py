"""Grammar rules for times of day: clock times, words, ranges, dayparts and "in 2 hours"."""

from __future__ import annotations

import re
from datetime import timedelta

from .pieces import DIGIT, Clock, ClockSpan, Day, Env, Fields, Rule, rule
from .windows import later

_PREP = r"(?:(?:at|around|about|approx|approximately|roughly|say|for|like|maybe|by) ){0,2}"
_NOT_UNIT = (
    r"(?! (?:days?|weeks?|months?|years?|hours?|minutes?|people|persons|kids|children|teeth"
    r"|tooth|of|times|x|day|week)(?!\S))"
)
_DAY_BEFORE = re.compile(r"(?:day|days|daily|tomorrow|today|weekends|each|every) $")


def _after_a_day(m: re.Match[str]) -> bool:
    """Whether the match follows a day word ("Mon-Fri 8 to 4", "tomorrow 9 to 11")."""
    return _DAY_BEFORE.search(m.string, max(0, m.start() - 9), m.start()) is not None


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


def _atom(i: int) -> str:
    return (
        rf"(?:(?P<w{i}>noon|midday|midnight)|(?P<h{i}>\d{{1,2}})(?:[:.](?P<m{i}>\d{{2}}))?"
        rf"(?: ?(?P<r{i}>am|pm))?)"
    )


def _atom_clock(m: re.Match[str], i: int) -> Fields:
    word = m[f"w{i}"]
    if word:
        return {"clock": _WORD_TIMES[word]}
    hour, minute = m[f"h{i}"], m[f"m{i}"]
    return make_clock(int(hour), int(minute or 0), m[f"r{i}"], hour)


@rule(rf"^{_PREP}(?P<h>\d{{1,2}})(?:(?:[:.]| )(?P<m>\d{{2}}))? (?P<mer>am|pm)$", needs=DIGIT)
def _with_meridiem(m: re.Match[str], env: Env) -> Fields:
    return make_clock(int(m["h"]), int(m["m"] or 0), m["mer"], m["h"])


@rule(rf"^{_PREP}(?P<h>\d{{1,2}}):(?P<m>\d{{2}})$", needs=DIGIT)
def _colon(m: re.Match[str], env: Env) -> Fields:
    return make_clock(int(m["h"]), int(m["m"]), None, m["h"])


@rule(
    r"^(?:(?:at|around|about|approx|approximately|roughly|say|for|like) ){1,2}"
    rf"(?P<h>\d{{1,4}})(?:\.(?P<m>\d{{2}})| (?P<m2>\d{{2}}))?${_NOT_UNIT}",
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
    if q.isdigit() and not m["min"] and (minutes % 5 or minutes >= 30):
        return None
    if q.isdigit() and m[0][0].isdigit() and _after_a_day(m):
        return None  # "Mon-Fri 10 to 2" is a range of hours, not 1:50

    base = _WORD_TIMES.get(m["h"]) or Clock(int(m["h"]), 0, m["mer"])
    if base.hour > 23 or minutes > 59:
        return None
    total = base.hour * 60 + (minutes if direction in ("past", "after") else -minutes)
    hour, minute = divmod(total % (24 * 60), 60)
    if base.fixed:
        return {"clock": Clock(hour, minute, fixed=True)}
    if base.meridiem == "pm" and hour < 12:
        return {"clock": Clock(hour, minute, "pm")}
    return make_clock(hour, minute, base.meridiem, str(hour))


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
    r"^(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?$(?! (?:am|pm|oclock|h)(?!\S))" + _NOT_UNIT,
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


@rule(
    rf"^(?P<kw>between|from) {_atom(1)} ?(?:and|to|till|until|through|-) ?{_atom(2)}$",
    needs=("between", "from"),
)
def _range_keyword(m: re.Match[str], env: Env) -> Fields | None:
    return _range(m)


@rule(rf"^{_atom(1)} ?(?P<sep>-|to|till|until) ?{_atom(2)}${_NOT_UNIT}")
def _range_bare(m: re.Match[str], env: Env) -> Fields | None:
    """ "2-5pm", "9:30 to 11"; plain "8 to 4" only straight after a day ("Mon-Fri 8 to 4")."""
    plain = not any(m[f"{g}{i}"] for g in "wmr" for i in (1, 2))
    if plain and m["sep"] != "-" and not _after_a_day(m):
        return None
    return _range(m)


def _range(m: re.Match[str]) -> Fields | None:
    first, second = _atom_clock(m, 1), _atom_clock(m, 2)
    for part in (first, second):
        if "error" in part:
            return part
    return {"span": ClockSpan(first["clock"], second["clock"])}  # type: ignore[arg-type]


_OPEN = {
    "after": "from",
    "from": "from",
    "later than": "from",
    "not before": "from",
    "no earlier than": "from",
    "not earlier than": "from",
    "any time after": "from",
    "anytime after": "from",
    "before": "to",
    "until": "to",
    "till": "to",
    "earlier than": "to",
    "no later than": "to",
    "not later than": "to",
    "by": "to",
}
_OPEN_RE = "|".join(sorted(_OPEN, key=len, reverse=True))


# A negation just before an open range ("I can't come before 4", "I'm busy until 3") or a
# rejection just after it ("before 10 doesn't work") turns it round: after 4, after 3, after 10.
_NEGATION_BEFORE = re.compile(
    r"(?:\b(?:can't|cannot|can not|cant|couldn't|couldnt|won't|wont|don't|dont|doesn't|unable to"
    r"|nothing|never|busy|tied up|stuck)|(?<!if )\bnot)(?! (?:mind|care|sure|wait)\b)"
    r"(?: [^\s,.]+){0,3} $"
)
_REJECTED_AFTER = re.compile(  # used with .match(text, pos): anchored where the range ends
    r"(?: ,)? (?:is |are |would be |will be )?(?:(?:doesn't|does not|won't|will not|isn't|is not"
    r"|not|wouldn't|can't)(?: really)? (?:work|suit|good|possible|ok|okay|great|ideal|do)"
    r"|no good|bad for me|impossible|out of the question)\b"
)


def _open(m: re.Match[str], direction: str, at: Clock) -> Fields:
    before = m.string[max(0, m.start() - 60) : m.start()]
    flipped = (
        bool(_NEGATION_BEFORE.search(before)) and not before.endswith(("until ", "till "))
    ) or bool(_REJECTED_AFTER.match(m.string, m.end()))
    if flipped:
        direction = "to" if direction == "from" else "from"
    span = ClockSpan(at, None) if direction == "from" else ClockSpan(None, at)
    return {"span": span, "flipped": flipped}


@rule(rf"^(?P<kw>{_OPEN_RE}) (?:at )?{_atom(1)}(?: (?:onwards|onward))?${_NOT_UNIT}")
def _open_range(m: re.Match[str], env: Env) -> Fields | None:
    if m["kw"] == "by":
        return None
    fields = _atom_clock(m, 1)
    if "error" in fields:
        return fields
    return _open(m, _OPEN[m["kw"]], fields["clock"])  # type: ignore[arg-type]


@rule(rf"^{_atom(1)} (?:onwards|onward|or later)$", needs=("onward", "or later"))
def _onwards(m: re.Match[str], env: Env) -> Fields | None:
    """ "3:30 onwards", "4pm or later": from that time to closing."""
    fields = _atom_clock(m, 1)
    if "error" in fields:
        return fields
    return _open(m, "from", fields["clock"])  # type: ignore[arg-type]


# A bare hour after a suggestion or correction is a time when the message names a time
# elsewhere ("Wednesday at 3. No wait, make it 4", "late afternoon, maybe 4?").
_TIME_CONTEXT = re.compile(
    r"\d(?::\d\d| ?[ap]m\b| oclock)|\b(?:at|around|about) \d|\b(?:morning|afternoon|evening|noon"
    r"|tonight|lunch\w*)\b"
)


_SUGGESTION_BEFORE = re.compile(
    r"\b(?:make it|maybe|actually|no|or|instead|rather|mean|meant|perhaps|ideally) $"
)


@rule(
    r"^(?P<h>\d{1,2})$(?! (?:am|pm|oclock|h|st|nd|rd|th|-|to|till|and|or)(?!\S))" + _NOT_UNIT,
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


@rule(
    rf"^(?:the )?(?P<kw>earliest|latest) (?:i|we) (?:can|could) (?:\S+ ){{0,2}}(?:is|would be) "
    rf"(?:at |around |about )?{_atom(1)}${_NOT_UNIT}",
    needs=("earliest", "latest"),
)
def _earliest_latest(m: re.Match[str], env: Env) -> Fields:
    """ "the earliest I can come is 4" = from 4; "the latest I could do is 2" = until 2."""
    fields = _atom_clock(m, 1)
    if "error" in fields:
        return fields
    return _open(m, "from" if m["kw"] == "earliest" else "to", fields["clock"])  # type: ignore[arg-type]


@rule(r"^(?P<kw>after|before) (?P<what>lunch|work|school)$", needs=("lunch", "work", "school"))
def _around_routine(m: re.Match[str], env: Env) -> Fields:
    hour = {"lunch": 13 if m["kw"] == "after" else 12, "work": 17, "school": 15}[m["what"]]
    return _open(m, "from" if m["kw"] == "after" else "to", Clock(hour, 0, fixed=True))


@rule(r"^the (?P<h>\d{1,2})(?=(?: oclock)? (?:one|ones|slot|appointment)(?!\S))", needs=DIGIT)
def _the_hour_one(m: re.Match[str], env: Env) -> Fields | None:
    """ "the 3 one": picking an offered slot by its hour, not the 3rd of the month."""
    hour = int(m["h"])
    return make_clock(hour, 0, None, m["h"]) if hour <= 23 else None


@rule(
    r"^(?:(?P<pre>in the|this|during the|early in the|late in the|early|late|at|in|over|the) )?"
    r"(?P<part>morning|afternoon|evening|night|lunchtime|lunch time|lunch)s?$"
    r"|^(?P<pre2>1st thing|first thing)(?: in the morning)?$",
    needs=("morning", "noon", "evening", "night", "lunch", "thing"),
)
def _daypart(m: re.Match[str], env: Env) -> Fields | None:
    if m.string.endswith("good ", 0, m.start()):
        return None  # a greeting, not a time
    if m["pre2"]:
        return {"part": ("morning", "early")}
    part = "lunch" if m["part"].startswith("lunch") else m["part"]
    pre = m["pre"] or ""
    half = "early" if pre.startswith("early") else "late" if pre.startswith("late") else None
    fields: Fields = {"part": (part, half)}
    if pre == "this":
        fields["day"] = Day(env.today, env.today)
    return fields


@rule(
    r"^(?:in|within) (?P<n>\d+|an|a|half an|a half|a couple of|couple of) (?P<unit>hours?|minutes?)"
    r"(?P<half> and a half)?$",
    needs=("hour", "minute"),
)
def _in_hours(m: re.Match[str], env: Env) -> Fields:
    n = {"an": 1.0, "a": 1.0, "half an": 0.5, "a half": 0.5}.get(m["n"])
    count = n if n is not None else 2.0 if "couple" in m["n"] else float(m["n"])
    if m["half"]:
        count += 0.5
    minutes = count * (60 if m["unit"].startswith("hour") else 1)
    instant = later(env.now, timedelta(minutes=minutes)).replace(second=0, microsecond=0)
    return {"instant": instant}


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
    _range_keyword,
    _range_bare,
    _open_range,
    _onwards,
    _suggested_hour,
    _earliest_latest,
    _around_routine,
    _the_hour_one,
    _daypart,
    _in_hours,
)
