"""Grammar rules for windows of a day: time ranges ("between 2 and 4", "2-5pm"), open ranges
("after 3", "before noon", "3:30 onwards", turned round by a negation), dayparts and "in 2
hours"."""

from __future__ import annotations

import re
from datetime import timedelta

from .clock import MINUTES_TO, NOT_UNIT, after_a_day, atom, atom_clock, offers_a_stretch
from .pieces import Clock, ClockSpan, Day, Env, Fields, Rule, rule
from .windows import later


@rule(
    rf"^(?P<kw>between|from) {atom(1)} ?(?:and|to|till|until|through|-) ?{atom(2)}$",
    needs=("between", "from"),
)
def _range_keyword(m: re.Match[str], env: Env) -> Fields | None:
    return _range(m)


@rule(rf"^{atom(1)} ?(?P<sep>-|to|till|until) ?{atom(2)}${NOT_UNIT}(?! out of)")
def _range_bare(m: re.Match[str], env: Env) -> Fields | None:
    """ "2-5pm", "9:30 to 11", "12 to 1", "8 till 4". Two plain numbers are a range unless
    the first can be minutes before the hour: "10 to 3" is 14:50, as "ten to three" (see
    `clock._past_to`), but "Mon-Fri 10 to 2" after a day is a range."""
    plain = not any(m[f"{g}{i}"] for g in "wmrq" for i in (1, 2))
    if plain and m["sep"] != "-" and not after_a_day(m):
        first, second = int(m["h1"]), int(m["h2"])
        if first == second or first > 23 or second > 23 or _SCORED.search(m.string, 0, m.start()):
            return None  # "one to one", "a scale of 1 to 10", "the pain is 7 to 8"
        minutes = first in MINUTES_TO and not offers_a_stretch(m, first)
        if minutes or _COUNTED.match(m.string, m.end()):
            return None  # "10 to 3" is 14:50; "2 to 3 cavities" counts things
    return _range(m)


# Words just before two plain numbers that make them a score, not hours.
_SCORED = re.compile(r"(?:\bof|\b(?:pain|scale|rate|rated|level|score|aged?|ages)(?: \S+){0,2}) $")
# A plural noun after two plain numbers: they count something ("2 to 3 fillings").
_COUNTED = re.compile(
    r" (?!(?:works|suits|thanks|is|was|pls|plus|this|yes|us|as|its|always|perhaps|unless"
    r"|afterwards|mondays|tuesdays|wednesdays|thursdays|fridays|saturdays|sundays|weekdays"
    r"|weekends)(?!\S))[a-z]+s(?!\S)"
)


def _range(m: re.Match[str]) -> Fields | None:
    first, second = atom_clock(m, 1), atom_clock(m, 2)
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


@rule(rf"^(?P<kw>{_OPEN_RE}) (?:at )?{atom(1)}(?: (?:onwards|onward))?${NOT_UNIT}")
def _open_range(m: re.Match[str], env: Env) -> Fields | None:
    if m["kw"] == "by":
        return None
    fields = atom_clock(m, 1)
    if "error" in fields:
        return fields
    return _open(m, _OPEN[m["kw"]], fields["clock"])  # type: ignore[arg-type]


@rule(rf"^{atom(1)} (?:onwards|onward|or later)$", needs=("onward", "or later"))
def _onwards(m: re.Match[str], env: Env) -> Fields | None:
    """ "3:30 onwards", "4pm or later": from that time to closing."""
    fields = atom_clock(m, 1)
    if "error" in fields:
        return fields
    return _open(m, "from", fields["clock"])  # type: ignore[arg-type]


@rule(
    rf"^(?:the )?(?P<kw>earliest|latest) (?:i|we) (?:can|could) (?:\S+ ){{0,2}}(?:is|would be) "
    rf"(?:at |around |about )?{atom(1)}${NOT_UNIT}",
    needs=("earliest", "latest"),
)
def _earliest_latest(m: re.Match[str], env: Env) -> Fields:
    """ "the earliest I can come is 4" = from 4; "the latest I could do is 2" = until 2."""
    fields = atom_clock(m, 1)
    if "error" in fields:
        return fields
    return _open(m, "from" if m["kw"] == "earliest" else "to", fields["clock"])  # type: ignore[arg-type]


@rule(r"^(?P<kw>after|before) (?P<what>lunch|work|school)$", needs=("lunch", "work", "school"))
def _around_routine(m: re.Match[str], env: Env) -> Fields:
    hour = {"lunch": 13 if m["kw"] == "after" else 12, "work": 17, "school": 15}[m["what"]]
    return _open(m, "from" if m["kw"] == "after" else "to", Clock(hour, 0, fixed=True))


# "Morning. Do you have…", "Afternoon all, anything Friday?": a bare part of the day opening
# the message and closed off by punctuation is a greeting ("mornings", "morning please" are
# not, nor "morning, tuesday if poss", where a day follows at once without hours of its own).
_CLOSED_OFF = re.compile(r" (?:(?:all|everyone|there|folks|guys|team) )?[.,] (?P<next>\S+)")
_DAY_NEXT = re.compile(r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*$|tomorrow$|today$|next$|this$|\d")
_OWN_HOURS = re.compile(r"\d|\b(?:morning|afternoon|evening|night|noon|lunch)")


def _salutation(m: re.Match[str]) -> bool:
    plain = not m["pre"] and not m["pre2"] and not m[0].endswith("s")
    closed = _CLOSED_OFF.match(m.string, m.end()) if plain and m.start() == 0 else None
    if closed is None:
        return False
    return not _DAY_NEXT.match(closed["next"]) or bool(_OWN_HOURS.search(m.string, closed.start()))


@rule(
    r"^(?:(?P<pre>in the|this|during the|early in the|late in the|early|late|at|in|over|the) )?"
    r"(?P<part>morning|afternoon|evening|night|lunchtime|lunch time|lunch)s?$"
    r"|^(?P<pre2>1st thing|first thing)(?: in the morning)?$",
    needs=("morning", "noon", "evening", "night", "lunch", "thing"),
)
def _daypart(m: re.Match[str], env: Env) -> Fields | None:
    if m.string.endswith("good ", 0, m.start()) or _salutation(m):
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
    _range_keyword,
    _range_bare,
    _open_range,
    _onwards,
    _earliest_latest,
    _around_routine,
    _daypart,
    _in_hours,
)
