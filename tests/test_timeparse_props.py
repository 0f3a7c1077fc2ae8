"""Properties of the time phrase resolver that must hold for any `now` in any zone."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatbot.domain.timeparse import resolve

ZONES = [
    "UTC",
    "Europe/Berlin",
    "Europe/London",
    "Europe/Dublin",
    "America/New_York",
    "America/Los_Angeles",
    "America/St_Johns",
    "America/Sao_Paulo",
    "America/Santiago",
    "America/Havana",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Tokyo",
    "Asia/Tehran",
    "Asia/Beirut",
    "Africa/Cairo",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Australia/Adelaide",
    "Pacific/Auckland",
    "Pacific/Chatham",
    "Pacific/Apia",
]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
PHRASES = [
    "tomorrow",
    "today",
    "later today",
    "tonight",
    "this week",
    "next week",
    "this weekend",
    "next weekend",
    "this month",
    "at 4",
    "at 2:30am",
    "at 1:30 am on sunday",
    "between 2 and 4",
    "after 3",
    "after 9pm",
    "before noon",
    "in the morning",
    "tomorrow afternoon",
    "in 2 hours",
    "the 13th",
    "the 31st",
    "Mon-Thu",
    "24-28 Dec",
    "next tuesday at 1:45 pm",
    "from 11 to 1",
    "quarter to 3",
    "at midnight",
]

nows = st.datetimes(
    min_value=datetime(2020, 1, 1),
    max_value=datetime(2035, 12, 31, 23, 59),
    timezones=st.sampled_from(ZONES).map(ZoneInfo),
    allow_imaginary=False,
)


def first_instant_of(day: date, instant: datetime, zone: ZoneInfo) -> bool:
    """`instant` is the first moment of local `day` (midnight, or the end of a DST gap)."""
    before = (instant.astimezone(timezone.utc) - timedelta(microseconds=1)).astimezone(zone)
    return instant.astimezone(zone).date() == day and before.date() == day - timedelta(days=1)


@settings(max_examples=150, deadline=None)
@given(now=nows)
def test_tomorrow_is_the_next_local_day_midnight_to_midnight(now: datetime) -> None:
    zone = now.tzinfo
    assert isinstance(zone, ZoneInfo)
    result = resolve("tomorrow", now)
    tomorrow = now.date() + timedelta(days=1)
    assert result.date == tomorrow
    assert result.start is not None and result.end is not None
    assert first_instant_of(tomorrow, result.start, zone)
    assert first_instant_of(tomorrow + timedelta(days=1), result.end, zone)
    hours = (result.end - result.start).total_seconds() / 3600
    assert 22 <= hours <= 26


@settings(max_examples=150, deadline=None)
@given(now=nows, weekday=st.sampled_from(WEEKDAYS), prefix=st.sampled_from(["next ", "on ", ""]))
def test_next_weekday_is_one_to_seven_days_ahead(now: datetime, weekday: str, prefix: str) -> None:
    result = resolve(f"{prefix}{weekday}", now)
    assert result.date is not None
    assert 1 <= (result.date - now.date()).days <= 7
    assert result.date.weekday() == WEEKDAYS.index(weekday)


@settings(max_examples=200, deadline=None)
@given(now=nows, phrase=st.sampled_from(PHRASES))
def test_windows_never_end_before_they_start(now: datetime, phrase: str) -> None:
    result = resolve(phrase, now)
    assert result.error is None
    assert result.start is not None and result.end is not None, phrase
    assert result.start <= result.end
    assert result.start.utcoffset() == result.start.astimezone(now.tzinfo).utcoffset()
    for mention in result.mentions:
        if mention.start and mention.end:
            assert mention.start <= mention.end


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=60), now=nows)
def test_any_text_resolves_without_raising(text: str, now: datetime) -> None:
    result = resolve(text, now)
    if result.start and result.end:
        assert result.start <= result.end


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError):
        resolve("tomorrow", datetime(2024, 5, 17, 9))


def run_cli(now: str, stdin: str) -> list[dict[str, object]]:
    command = [sys.executable, "-m", "chatbot.domain.timeparse", "--now", now]
    done = subprocess.run(
        [*command, "--tz", "Europe/Berlin"],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
        timeout=60,
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_cli_round_trips_one_json_object_per_line() -> None:
    lines = ["next Tuesday afternoon", "hello", "February 30th", "at 4", "tomorrow"]
    rows = run_cli("2024-05-17T09:00", "\n".join(lines) + "\n")
    now = datetime(2024, 5, 17, 9, tzinfo=ZoneInfo("Europe/Berlin"))
    assert rows == [resolve(line, now).to_json() for line in lines]
    assert list(rows[0])[:4] == ["date", "time", "start", "end"]
    assert rows[0]["start"] == "2024-05-21T12:00:00+02:00"
    assert rows[0]["end"] == "2024-05-21T17:00:00+02:00"
    assert rows[1] == {"date": None, "time": None, "start": None, "end": None, "error": None}
    assert rows[2]["error"] and rows[2]["date"] is None
    assert rows[3]["time"] == "16:00"


def test_cli_reads_an_offset_now_in_the_given_zone() -> None:
    rows = run_cli("2024-05-17T23:30Z", "today\n")
    assert rows[0]["date"] == "2024-05-18"  # 23:30 UTC is 01:30 in Berlin


def test_the_zone_comes_from_now() -> None:
    berlin = datetime(2024, 5, 17, 9, tzinfo=ZoneInfo("Europe/Berlin"))
    tokyo = berlin.astimezone(ZoneInfo("Asia/Tokyo"))  # 16:00 the same day
    assert resolve("at 3", berlin).start == datetime(2024, 5, 17, 15, tzinfo=berlin.tzinfo)
    assert resolve("at 3", tokyo).start == datetime(2024, 5, 18, 15, tzinfo=tokyo.tzinfo)


RECURRING = [
    "I work mon-thu 9-5",
    "monday to friday 8 to 4",
    "tuesdays and thursdays 10-2",
    "weekdays 8am-4pm",
    "every weekday after 5",
    "mon, wed and fri 9 to 1",
    "weekends 10 to 2",
    "fri-mon 9-12",
    "mondays and wednesdays mornings",
]


@settings(max_examples=150, deadline=None)
@given(now=nows, phrase=st.sampled_from(RECURRING))
def test_recurring_hours_name_sorted_weekdays_and_their_first_occurrence(
    now: datetime, phrase: str
) -> None:
    result = resolve(phrase, now)
    days = result.weekdays
    assert days, phrase
    assert list(days) == sorted(set(days)) and all(1 <= d <= 7 for d in days)
    assert result.start is not None and result.end is not None and result.date is not None
    assert result.date.isoweekday() in days
    assert 1 <= (result.date - now.date()).days <= 7  # after today, within a week
    assert result.daily_start is not None and result.daily_end is not None
    assert result.daily_start < result.daily_end or result.daily_end == time(0)
    assert result.start < result.end


@settings(max_examples=100, deadline=None)
@given(now=nows, start=st.sampled_from(["from next week", "starting next monday", "as of the 1st"]))
def test_effective_from_is_when_the_hours_start(now: datetime, start: str) -> None:
    result = resolve(f"I work tue-thu 9-5 {start}", now)
    assert result.weekdays == (2, 3, 4)
    assert result.effective_from is not None and result.effective_from >= now.date()
    if "the 1st" in start:
        assert result.effective_from.day == 1
    else:
        assert result.effective_from.isoweekday() == 1
    assert result.date is not None and result.date >= result.effective_from
    assert (result.date - result.effective_from).days < 7
    assert result.date.isoweekday() in (2, 3, 4)


EARLIEST = ["asap", "as soon as possible", "first available", "whenever", "soonest", "earliest"]


@settings(max_examples=100, deadline=None)
@given(now=nows, phrase=st.sampled_from(EARLIEST))
def test_earliest_is_now_to_two_weeks_ahead(now: datetime, phrase: str) -> None:
    result = resolve(f"{phrase} please", now)
    assert result.earliest and result.date is None and result.time is None
    assert result.start == now.replace(microsecond=0)
    assert result.end is not None and (result.end.date() - now.date()).days == 14


@settings(max_examples=100, deadline=None)
@given(now=nows, weekday=st.sampled_from(WEEKDAYS))
def test_last_weekday_is_one_to_seven_days_back(now: datetime, weekday: str) -> None:
    result = resolve(f"I came in last {weekday}", now)
    assert result.date is not None
    assert 1 <= (now.date() - result.date).days <= 7
    assert result.date.weekday() == WEEKDAYS.index(weekday)


@settings(max_examples=100, deadline=None)
@given(now=nows, hour=st.integers(1, 6), keyword=st.sampled_from(["before", "until"]))
def test_a_negated_open_range_turns_round(now: datetime, hour: int, keyword: str) -> None:
    flipped = resolve(f"I can't come {keyword} {hour}", now)
    after = resolve(f"after {hour}", now)
    assert (flipped.start, flipped.end) == (after.start, after.end)


@settings(max_examples=60, deadline=None)
@given(now=nows, hour=st.integers(1, 11))
def test_the_npm_one_is_a_time(now: datetime, hour: int) -> None:
    result = resolve(f"the {hour}pm one please", now)
    assert result.time == time(hour + 12)


@settings(max_examples=100, deadline=None)
@given(now=nows, weekday=st.sampled_from(WEEKDAYS), day=st.integers(13, 28))
def test_weekday_and_day_number_agree_or_it_says_so(now: datetime, weekday: str, day: int) -> None:
    result = resolve(f"{weekday} {day}", now)
    if result.error:
        assert result.date is None and "not a" in result.error
    else:
        assert result.date is not None and result.date.day == day
        assert result.date.weekday() == WEEKDAYS.index(weekday)


@given(
    st.sampled_from(["jan", "Feb", "march", "sept", "Dec.", "december"]),
    st.integers(1, 28),
    st.integers(1, 11),
)
def test_a_number_after_a_month_is_its_day_not_minutes(month: str, day: int, hour: int) -> None:
    """ "Dec 15 after 2pm" is the 15th from 14:00, never 14:15 ("15 after 2")."""
    now = datetime(2024, 5, 17, 9, tzinfo=ZoneInfo("Europe/Berlin"))
    result = resolve(f"how about {month} {day} after {hour}pm then?", now)
    assert result.date is not None and result.date.day == day
    assert result.start is not None and result.start.hour == hour + 12
    assert result.start.minute == 0
