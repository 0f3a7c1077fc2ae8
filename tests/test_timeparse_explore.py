"""Rules added after a new user's session with the bot, and the exploration set written for them.

The session found "12 to 1 tomorrow" read as 13:00 (the 12 lost), "in 2 weeks on the Tuesday"
refused as a contradiction and "the 1st one" read as the 1st of next month. Each rule below
compares a message with the phrase that already meant the same, for any `now` in any zone.
tests/timeparse_explore.json was written before the fix (see docs/timeparse.md); the floors
sit just under what the resolver reaches on it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_timeparse_holdout import answer
from test_timeparse_whole_message import DAYS, nows, same_request
from timeparse_cases import EXPLORE, load, score

from chatbot.domain.timeparse import resolve

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
SETTINGS = settings(max_examples=80, deadline=None)
# First hours that cannot be minutes before the next number ("10 to 3" is 14:50, see below)
RANGE_STARTS = [1, 2, 3, 4, 6, 7, 8, 9, 11, 12]


@SETTINGS
@given(
    now=nows,
    day=DAYS,
    first=st.sampled_from(RANGE_STARTS),
    second=st.integers(1, 12),
    sep=st.sampled_from(["to", "till", "until"]),
    day_first=st.booleans(),
)
def test_two_plain_hours_are_a_range_like_between(
    now: datetime, day: str, first: int, second: int, sep: str, day_first: bool
) -> None:
    """ "12 to 1 tomorrow", "8 till 4 on friday" mean "between 12 and 1", "between 8 and 4"
    ("1 to 1" is not a range: "a one to one")."""
    assume(first != second)
    hours = f"{first} {sep} {second}"
    on = "" if "tomorrow" in day else "on "  # "1 to 2 march 7th" could be March 1-2
    text = f"{day} {hours}" if day_first else f"{hours} {on}{day}"
    got, want = resolve(text, now), resolve(f"{day} between {first} and {second}", now)
    assert same_request(got, want) and got.error == want.error, text


@SETTINGS
@given(now=nows, day=DAYS, hour=st.sampled_from(RANGE_STARTS), end=st.integers(1, 12))
def test_half_and_quarter_past_start_a_range(now: datetime, day: str, hour: int, end: int) -> None:
    """ "half 12 to 1", "quarter past 9 till 11" as with digits ("12:30 to 1")."""
    for words, minute in (("half", 30), ("quarter past", 15)):
        got = resolve(f"{day} {words} {hour} to {end}", now)
        want = resolve(f"{day} {hour}:{minute} to {end}", now)
        assert same_request(got, want) and got.error == want.error, (words, hour, end, day)


@SETTINGS
@given(now=nows, day=DAYS, hour=st.sampled_from([1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12]))
def test_quarter_to_is_fifteen_minutes_before_that_hour(now: datetime, day: str, hour: int) -> None:
    """ "quarter to 1" is 12:45 (not 00:45): the same 12-hour reading as "at 1" less 15 min."""
    got, at = resolve(f"quarter to {hour} {day}", now), resolve(f"at {hour} {day}", now)
    assert got.time is not None and at.time is not None
    minutes = at.time.hour * 60 - 15
    assert (got.time.hour, got.time.minute) == divmod(minutes, 60)


def week_ahead(today: date, weeks: int, weekday: int) -> date:
    monday = today - timedelta(days=today.weekday()) + timedelta(weeks=weeks)
    return monday + timedelta(days=weekday)


@SETTINGS
@given(
    now=nows,
    weekday=st.sampled_from(WEEKDAYS),
    weeks=st.sampled_from([("a week", 1), ("2 weeks", 2), ("a fortnight", 2), ("3 weeks", 3)]),
    form=st.sampled_from(
        ["in {n} on the {wd}", "in {n} on {wd}", "in {n} time, {wd}", "{wd} in {n}"]
    ),
)
def test_a_weekday_with_in_n_weeks_is_that_weekday_of_the_week_ahead(
    now: datetime, weekday: str, weeks: tuple[str, int], form: str
) -> None:
    """ "in 2 weeks on the Tuesday": the Tuesday of the Monday-Sunday week two weeks ahead,
    as "Tuesday next week" is the Tuesday of the week one ahead."""
    words, n = weeks
    got = resolve(form.format(n=words, wd=weekday), now)
    assert got.error is None
    assert got.date == week_ahead(now.date(), n, WEEKDAYS.index(weekday))
    if n == 1:
        assert same_request(got, resolve(f"{weekday} next week", now))


ORDINALS = st.integers(1, 31).map(
    lambda n: f"{n}{'tsnrhtdd'[(n // 10 % 10 != 1) * (n % 10 < 4) * n % 10 :: 4]}"
)


@SETTINGS
@given(
    now=nows,
    first=ORDINALS,
    second=ORDINALS,
    noun=st.sampled_from(["one", "option", "slot", "choice"]),
)
def test_an_ordinal_before_one_is_a_pick_not_a_day(
    now: datetime, first: str, second: str, noun: str
) -> None:
    """ "the 1st one", "2nd option", "the 1st one or the 3rd one" pick from a list: no date;
    "the 1st" alone is still a day."""
    for text in (
        f"the {first} {noun}",
        f"ok {first} {noun} please",
        f"the {first} one or the {second} one",
    ):
        got = resolve(text, now)
        assert (got.date, got.start, got.error) == (None, None, None), text
    assert resolve(f"the {first}", now).date is not None


@pytest.mark.parametrize("field", ["date", "time", "window"])
def test_exploration_set_stays_above_its_floor(field: str) -> None:
    result = score(load(EXPLORE), answer)
    misses = "\n".join(result.wrong)
    assert result.total >= 80
    assert result.rate(field) >= 0.98, f"{result.summary()}\nmissed:\n{misses}"
