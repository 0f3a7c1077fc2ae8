"""Properties of whole-message resolution: one test per rule of `combine`, `choose` and the
grammar added with it. Each compares a message with the short phrase that means the same, for
any `now` in any zone, so none of them restates a hand-picked answer.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from test_timeparse_props import ZONES

from chatbot.domain.timeparse import Resolution, resolve

nows = st.datetimes(
    min_value=datetime(2020, 1, 1),
    max_value=datetime(2035, 12, 31, 23, 59),
    timezones=st.sampled_from(ZONES).map(ZoneInfo),
    allow_imaginary=False,
)
DAYS = st.sampled_from(
    [
        "tomorrow",
        "friday",
        "next tuesday",
        "this coming monday",
        "the 14th",
        "the 3rd of next month",
        "march 7th",
        "monday next week",
        "the day after tomorrow",
    ]
)
TIMES = st.sampled_from(["3", "10:30", "4pm", "half past 2", "quarter to 11", "noon", "9am"])
ORDINALS = st.sampled_from(["1st", "3rd", "5th", "9th", "12th", "17th", "22nd", "28th"])
PARTS = st.sampled_from(["morning", "afternoon", "evening"])
SETTINGS = settings(max_examples=80, deadline=None)


def same_request(got: Resolution, want: Resolution) -> bool:
    return (got.date, got.time, got.start, got.end) == (want.date, want.time, want.start, want.end)


@SETTINGS
@given(now=nows, day=DAYS, part=PARTS, hour=st.integers(1, 11))
def test_a_daypart_before_the_hour_sets_am_or_pm(
    now: datetime, day: str, part: str, hour: int
) -> None:
    got = resolve(f"{day}, {part} {hour}", now)
    assert same_request(got, resolve(f"{day} at {hour} in the {part}", now))


@SETTINGS
@given(now=nows, day=DAYS, at=TIMES, verb=st.sampled_from(["I'd like", "Can I get", "I need"]))
def test_one_after_a_verb_is_a_pronoun(now: datetime, day: str, at: str, verb: str) -> None:
    got = resolve(f"{verb} one for {day} at {at}", now)
    assert same_request(got, resolve(f"{day} at {at}", now))


@SETTINGS
@given(now=nows, word=st.sampled_from(["at one", "one pm", "one o'clock", "one thirty"]))
def test_one_next_to_a_time_word_is_the_number(now: datetime, word: str) -> None:
    got = resolve(f"tomorrow {word}", now)
    assert got.time is not None and got.time.hour in (1, 13)


HOUR_WORDS = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
]
MINUTE_WORDS = {"fifteen": 15, "thirty": 30, "forty-five": 45, "twenty": 20, "fifty five": 55}


@SETTINGS
@given(now=nows, day=DAYS, hour=st.integers(1, 12), minute=st.sampled_from(sorted(MINUTE_WORDS)))
def test_number_words_name_a_clock_time(now: datetime, day: str, hour: int, minute: str) -> None:
    got = resolve(f"{HOUR_WORDS[hour - 1]} {minute} on {day}", now)
    want = resolve(f"{hour}:{MINUTE_WORDS[minute]:02d} on {day}", now)
    assert same_request(got, want)


@SETTINGS
@given(now=nows, day=DAYS)
def test_noonish_is_noon(now: datetime, day: str) -> None:
    assert same_request(resolve(f"noonish {day}", now), resolve(f"noon {day}", now))


@SETTINGS
@given(now=nows, day=DAYS, hour=st.integers(1, 8), minute=st.sampled_from([0, 30]))
def test_onwards_is_an_open_range(now: datetime, day: str, hour: int, minute: int) -> None:
    clock = f"{hour}:{minute:02d}"
    got = resolve(f"{clock} onwards on {day}", now)
    assert same_request(got, resolve(f"from {clock} on {day}", now))
    assert got.time is None


@SETTINGS
@given(now=nows, day=DAYS, quote=st.sampled_from(['"', "`", "", " "]))
def test_any_quote_in_o_clock(now: datetime, day: str, quote: str) -> None:
    hour = str(now.hour % 12 + 1)
    got = resolve(f"{hour} o{quote}clock {day}", now)
    assert same_request(got, resolve(f"{hour} o'clock {day}", now))
    assert got.time is not None


@SETTINGS
@given(now=nows, day=DAYS, at=TIMES, word=st.sampled_from(["second", "third"]))
def test_second_thought_is_not_a_day(now: datetime, day: str, at: str, word: str) -> None:
    got = resolve(f"On {word} thought, {day} at {at}", now)
    assert same_request(got, resolve(f"{day} at {at}", now))


@SETTINGS
@given(now=nows, weekday=st.sampled_from(["monday", "friday", "sunday"]), cut=st.integers(1, 4))
def test_a_weekday_missing_one_letter_is_read(now: datetime, weekday: str, cut: int) -> None:
    typo = weekday[:cut] + weekday[cut + 1 :]
    assert same_request(resolve(f"{typo} at 2", now), resolve(f"{weekday} at 2", now))
