"""Properties of whole-message resolution: one test per rule of `combine`, `choose` and the
grammar added with it. Each compares a message with the short phrase that means the same, for
any `now` in any zone, so none of them restates a hand-picked answer.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from test_timeparse_props import WEEKDAYS, ZONES

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
@given(now=nows, day=DAYS, at=TIMES, template=st.integers(0, 4))
def test_a_time_in_another_clause_or_sentence_joins_the_day(
    now: datetime, day: str, at: str, template: int
) -> None:
    message = [
        f"Book me for {day}. Anything at {at}?",
        f"{day}, possibly at {at} if you can",
        f"Is there anything at {at} for {day}?",
        f"Could I come {day}? I was thinking at {at}.",
        f"{day}.Can it be at {at}?",
    ][template]
    assert same_request(resolve(message, now), resolve(f"{day} at {at}", now)), message


@SETTINGS
@given(now=nows, first=DAYS, second=DAYS, at=TIMES)
def test_a_corrected_day_keeps_the_time(now: datetime, first: str, second: str, at: str) -> None:
    got = resolve(f"Let's say {first} at {at}. Actually, make it {second}", now)
    assert same_request(got, resolve(f"{second} at {at}", now))


@SETTINGS
@given(now=nows, day=DAYS, first=st.integers(1, 12), second=st.integers(1, 12))
def test_a_corrected_time_keeps_the_day(now: datetime, day: str, first: int, second: int) -> None:
    for message in (
        f"{day} at {first}, no sorry, {second}pm",
        f"{day} at {first}pm. Actually {second}pm",
    ):
        assert same_request(resolve(message, now), resolve(f"{day} at {second}pm", now)), message


@SETTINGS
@given(now=nows, day=DAYS, first=st.integers(1, 6), second=st.integers(1, 6))
def test_make_it_with_a_bare_hour_corrects_the_time(
    now: datetime, day: str, first: int, second: int
) -> None:
    want = resolve(f"{day} at {second}", now)
    for message in (
        f"{day} at {first}. No wait, make it {second}",
        f"On {day} I have a meeting at {first}, so {second} would be better",
    ):
        assert same_request(resolve(message, now), want), message


@SETTINGS
@given(now=nows, wrong=ORDINALS, right=ORDINALS, at=TIMES)
def test_not_x_but_y_replaces_the_ruled_out_day(
    now: datetime, wrong: str, right: str, at: str
) -> None:
    message = f"Can you book me for the {wrong} at {at}? Sorry, not the {wrong}, the {right}."
    assert same_request(resolve(message, now), resolve(f"the {right} at {at}", now))


@SETTINGS
@given(now=nows, first=st.sampled_from(WEEKDAYS), second=st.sampled_from(WEEKDAYS), at=TIMES)
def test_alternatives_share_a_time_said_once(
    now: datetime, first: str, second: str, at: str
) -> None:
    got = resolve(f"{first} or {second} at {at}", now)
    assert same_request(got, resolve(f"{first} at {at}", now))


@SETTINGS
@given(now=nows, day=DAYS, part=PARTS, hour=st.integers(1, 11), minute=st.sampled_from([0, 15]))
def test_a_later_time_refines_a_daypart(
    now: datetime, day: str, part: str, hour: int, minute: int
) -> None:
    clock = f"{hour}:{minute:02d}"
    for message in (
        f"Could you do {day} {part}? Say {clock}?",
        f"{day} {part}, if possible {clock}",
        f"Is {day} possible? In the {part} if you can, around {clock}.",
    ):
        got = resolve(message, now)
        assert same_request(got, resolve(f"{day} at {clock} in the {part}", now)), message


@SETTINGS
@given(now=nows, day=DAYS, part=PARTS, hour=st.integers(1, 11))
def test_a_daypart_before_the_hour_sets_am_or_pm(
    now: datetime, day: str, part: str, hour: int
) -> None:
    got = resolve(f"{day}, {part} {hour}", now)
    assert same_request(got, resolve(f"{day} at {hour} in the {part}", now))


@SETTINGS
@given(
    now=nows,
    week=st.sampled_from(["next week", "the week after next"]),
    weekday=st.sampled_from(WEEKDAYS),
    split=st.booleans(),
)
def test_a_weekday_after_a_week_is_that_weekday_in_that_week(
    now: datetime, week: str, weekday: str, split: bool
) -> None:
    message = f"Maybe {week}? {weekday} around 11." if split else f"{week}, {weekday} at 11"
    got = resolve(message, now)
    monday = now.date() - timedelta(days=now.weekday())
    weeks = 1 if week == "next week" else 2
    assert got.date is not None and got.time == time(11)
    assert got.date.weekday() == WEEKDAYS.index(weekday)
    assert monday + timedelta(weeks=weeks) <= got.date < monday + timedelta(weeks=weeks + 1)


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
@given(
    now=nows,
    past=st.sampled_from(["yesterday", "last monday", "3 days ago"]),
    day=DAYS,
    since=st.sampled_from(["the weekend", "monday", "friday"]),
    visit=ORDINALS,
)
def test_a_past_day_is_not_the_request(
    now: datetime, past: str, day: str, since: str, visit: str
) -> None:
    want = resolve(day, now)
    assert same_request(resolve(f"My filling came out {past}. Anything {day}?", now), want)
    assert same_request(resolve(f"It has hurt since {since}, can I come {day}?", now), want)
    message = f"My last visit was on the {visit}. Can I come again {day}?"
    assert same_request(resolve(message, now), want)


@SETTINGS
@given(now=nows, limit=ORDINALS, day=ORDINALS, at=TIMES)
def test_a_day_after_until_is_a_limit(now: datetime, limit: str, day: str, at: str) -> None:
    got = resolve(f"My daughter has exams till the {limit}. The {day} at {at}?", now)
    assert same_request(got, resolve(f"the {day} at {at}", now))


@SETTINGS
@given(now=nows, day=DAYS, busy=st.integers(1, 5), free=st.integers(1, 6))
def test_so_marks_the_request(now: datetime, day: str, busy: int, free: int) -> None:
    got = resolve(f"He works till {busy}, so anything after {free}:30 on {day}", now)
    assert same_request(got, resolve(f"after {free}:30 on {day}", now))
    got = resolve(f"I work until {busy} on weekdays, so {day}?", now)
    assert same_request(got, resolve(day, now))


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


@SETTINGS
@given(
    now=nows,
    day=DAYS,
    at=TIMES,
    person=st.sampled_from(["son", "daughter", "husband", "kids", "mum"]),
)
def test_my_son_is_not_an_existing_booking(now: datetime, day: str, at: str, person: str) -> None:
    got = resolve(f"Could I bring my {person} at {at} {day}? School ends at 3.", now)
    assert same_request(got, resolve(f"{day} at {at}", now))


@SETTINGS
@given(now=nows, when=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1)))
def test_an_iso_datetime_is_its_date_and_wall_time(now: datetime, when: datetime) -> None:
    stamp = when.replace(second=0, microsecond=0)
    for text in (stamp.isoformat(), f"{stamp.isoformat()}+01:00", f"{stamp.isoformat()}Z"):
        got = resolve(text, now)
        assert same_request(got, resolve(f"{stamp:%Y-%m-%d} at {stamp:%H:%M}", now)), text
        assert got.time == stamp.time()


@SETTINGS
@given(
    now=nows,
    day=DAYS,
    case=st.sampled_from(
        [
            ("after school", "like 3:30", "3:30pm"),
            ("after lunch", "1:45 if possible", "1:45pm"),
            ("after work", "ideally 6", "6pm"),
            ("after 2pm", "say quarter past 3", "3:15pm"),
            ("before 11am", "maybe 10", "10am"),
        ]
    ),
    template=st.integers(0, 1),
)
def test_a_clock_time_inside_an_earlier_open_range_is_the_time(
    now: datetime, day: str, case: tuple[str, str, str], template: int
) -> None:
    ranged, clock, meant = case
    message = [f"{day} {ranged}, {clock}", f"{day} {ranged}. {clock}?"][template]
    assert same_request(resolve(message, now), resolve(f"{day} at {meant}", now)), message


@SETTINGS
@given(now=nows, day=DAYS)
def test_a_clock_time_outside_an_open_range_leaves_the_range(now: datetime, day: str) -> None:
    message = f"{day} after 4pm, 9am?"
    assert resolve(message, now).time != "09:00", message


@SETTINGS
@given(
    now=nows,
    day=DAYS,
    lead=st.sampled_from(["I'm free", "im available", "free anytime", "available"]),
    end=st.integers(1, 6),
)
def test_free_ten_to_an_hour_is_a_stretch_of_hours_not_ten_minutes_before(
    now: datetime, day: str, lead: str, end: int
) -> None:
    """ "I'm free 10 to 2" offers 10:00-14:00 (as "from 10 to 2" does); "at 10 to 2" stays
    13:50, and "free 20 to 3" is still 14:40."""
    want = resolve(f"{day}, from 10 to {end}", now)
    assert same_request(resolve(f"{day}, {lead} 10 to {end}", now), want)
    after = resolve(f"{lead} 10 to {end} next tuesday", now)
    assert same_request(after, resolve(f"next tuesday from 10 to {end}", now))
    assert resolve(f"{day} at 10 to {end}", now).time == time(end + 11, 50)
    assert resolve(f"{day}, {lead} 20 to {end}", now).time == time(end + 11, 40)


@SETTINGS
@given(
    now=nows,
    rough=st.sampled_from(["in a few days", "in a couple of days", "a few days from now"]),
    weekday=st.sampled_from(WEEKDAYS),
    join=st.sampled_from([", say", " on", ", maybe"]),
)
def test_a_weekday_said_with_a_rough_number_of_days_is_the_day_meant(
    now: datetime, rough: str, weekday: str, join: str
) -> None:
    """ "in a few days, say Tuesday" is Tuesday (a rough distance never contradicts it, while
    "in 3 days on Tuesday" still does when the 3rd day is not a Tuesday)."""
    got = resolve(f"{rough}{join} {weekday}", now)
    assert got.error is None
    assert same_request(got, resolve(weekday, now))


@SETTINGS
@given(
    now=nows,
    day=DAYS,
    at=TIMES,
    hello=st.sampled_from(
        ["Morning.", "Morning!", "Afternoon all,", "Evening,", "morning everyone."]
    ),
    ask=st.sampled_from(["do you have anything", "can I come in", "is there a slot"]),
)
def test_a_part_of_the_day_said_as_a_greeting_is_not_a_time(
    now: datetime, day: str, at: str, hello: str, ask: str
) -> None:
    """ "Morning. Do you have anything Friday at 3?" asks for Friday at 3, as it would without
    the greeting; "morning please" and "morning, tuesday" still name mornings."""
    assert same_request(
        resolve(f"{hello} {ask} {day} at {at}?", now), resolve(f"{day} at {at}", now)
    )
    assert resolve("morning please", now).start is not None
