"""Property tests: free slots around real DST transitions in many IANA zones, 2020-2035.

Working hours are compared with an independent oracle that scans real minutes:
- every slot starts on the rule's local wall-clock grid, inside the real working window
  [first instant at/after local start, first instant at/after local end);
- no instant and no local wall-clock label appears twice;
- every grid wall time that exists and whose appointment fits is offered (none skipped).
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatbot.domain.models import AvailabilityException, AvailabilityRule, Busy, Clinic, Treatment
from chatbot.domain.slots import free_slots

UTC = dt.timezone.utc
ZONES = [
    "Europe/Berlin",
    "Europe/London",
    "Europe/Dublin",  # negative DST in tzdata
    "Europe/Lisbon",
    "Europe/Athens",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Anchorage",
    "America/Halifax",
    "America/St_Johns",  # -03:30
    "America/Havana",  # changes at midnight
    "America/Santiago",  # 24:00 -> 01:00
    "America/Asuncion",
    "America/Mexico_City",  # DST abolished 2022
    "Australia/Sydney",
    "Australia/Adelaide",  # +09:30 / +10:30
    "Australia/Lord_Howe",  # 30-minute DST
    "Pacific/Auckland",
    "Pacific/Chatham",  # +12:45 / +13:45
    "Asia/Beirut",
    "Asia/Jerusalem",
    "Asia/Tehran",  # DST until 2022
    "Africa/Cairo",  # DST again from 2023
    "Africa/Casablanca",  # Ramadan switches
    "Antarctica/Troll",  # 2-hour DST
]
TREATMENT_SHAPES = st.tuples(st.sampled_from([5, 15, 30, 45, 60, 90]), st.sampled_from([0, 10]))


@functools.cache
def transitions(zone: str) -> tuple[dt.datetime, ...]:
    """Instants (to the minute) where the zone's UTC offset changes, 2020-2035."""
    tz = ZoneInfo(zone)
    found = []
    t = dt.datetime(2020, 1, 1, tzinfo=UTC)
    while t.year < 2036:
        nxt = t + dt.timedelta(hours=6)
        if t.astimezone(tz).utcoffset() != nxt.astimezone(tz).utcoffset():
            lo, hi = t, nxt
            while hi - lo > dt.timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(tz).utcoffset() == lo.astimezone(tz).utcoffset():
                    lo = mid
                else:
                    hi = mid
            found.append(hi.replace(second=0, microsecond=0))
        t = nxt
    return tuple(found)


@functools.lru_cache(maxsize=4096)
def oracle_first(naive: dt.datetime, zone: str) -> dt.datetime:
    """Earliest real minute whose local wall time is >= naive (brute force)."""
    tz = ZoneInfo(zone)
    t = naive.replace(tzinfo=UTC) - dt.timedelta(hours=16)
    while t.astimezone(tz).replace(tzinfo=None) < naive:
        t += dt.timedelta(minutes=1)
    return t


def first_occurrence(naive: dt.datetime, zone: str) -> dt.datetime | None:
    """The first real instant showing wall time `naive`, None inside a DST gap."""
    tz = ZoneInfo(zone)
    instant = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    return instant if instant.astimezone(tz).replace(tzinfo=None) == naive else None


@st.composite
def scenarios(draw: st.DrawFn):
    zone = draw(st.sampled_from(ZONES))
    moments = transitions(zone)
    if moments:
        center = draw(st.sampled_from(moments))
    else:
        center = dt.datetime(draw(st.integers(2020, 2035)), 3, 1, tzinfo=UTC)
    center += dt.timedelta(minutes=draw(st.integers(-720, 720)))
    start_min = draw(st.integers(0, 22 * 4)) * 15
    end_min = draw(st.integers(start_min // 15 + 1, 23 * 4 + 3)) * 15
    interval = draw(st.sampled_from([5, 10, 15, 20, 30, 60]))
    duration, buffer = draw(TREATMENT_SHAPES)
    days = draw(st.sets(st.integers(1, 7), min_size=1))
    return zone, center, start_min, end_min, interval, duration, buffer, days


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_slots_follow_local_hours_across_dst(scenario) -> None:
    zone, center, start_min, end_min, interval, duration, buffer, days = scenario
    tz = ZoneInfo(zone)
    start_t = dt.time(start_min // 60, start_min % 60)
    end_t = dt.time(end_min // 60, end_min % 60)
    rules = [AvailabilityRule(1, d, start_t, end_t, dt.date(2019, 1, 1)) for d in days]
    clinic = Clinic(
        id=1,
        name="T",
        timezone=zone,
        slot_interval_min=interval,
        min_notice_min=0,
        horizon_days=730,
    )
    treatment = Treatment(code="t", name="T", duration_min=duration, buffer_min=buffer)
    w_start, w_end = center - dt.timedelta(hours=36), center + dt.timedelta(hours=36)
    now = w_start - dt.timedelta(days=1)
    slots = free_slots(rules, [], [], treatment, clinic, w_start, w_end, now)

    # none duplicated: neither the instant nor the local label
    # (UTC: PEP 495 makes inter-zone == false for datetimes inside a fold)
    instants = [s.starts_at.astimezone(UTC) for s in slots]
    labels = [s.starts_at.astimezone(tz).replace(tzinfo=None) for s in slots]
    assert len(set(instants)) == len(instants)
    assert len(set(labels)) == len(labels)
    assert instants == sorted(instants)

    # the oracle: every existing grid wall time whose appointment fits the real window
    expected = set()
    day = w_start.astimezone(tz).date() - dt.timedelta(days=1)
    while day <= w_end.astimezone(tz).date() + dt.timedelta(days=1):
        if day.isoweekday() in days:
            open_at = oracle_first(dt.datetime.combine(day, start_t), zone)
            close_at = oracle_first(dt.datetime.combine(day, end_t), zone)
            wall = dt.datetime.combine(day, start_t)
            while wall < dt.datetime.combine(day, end_t):
                instant = first_occurrence(wall, zone)
                if instant is not None:
                    fits = (
                        open_at <= instant and instant + dt.timedelta(minutes=duration) <= close_at
                    )
                    if fits and w_start <= instant < w_end:
                        expected.add(instant)
                wall += dt.timedelta(minutes=interval)
        day += dt.timedelta(days=1)
    assert set(instants) == expected

    for s in slots:
        local = s.starts_at.astimezone(tz)
        assert s.starts_at.utcoffset() == local.utcoffset()  # reported in the clinic zone
        assert local.isoweekday() in days and start_t <= local.time() < end_t
        real = s.ends_at.astimezone(UTC) - s.starts_at.astimezone(UTC)  # same-zone "-" is wall time
        assert real == dt.timedelta(minutes=duration)


def test_enough_zones_have_transitions_in_range() -> None:
    with_dst = [z for z in ZONES if transitions(z)]
    assert len(ZONES) >= 20 and len(with_dst) >= 20


@st.composite
def busy_days(draw: st.DrawFn):
    zone = draw(st.sampled_from(ZONES))
    moments = transitions(zone) or (dt.datetime(2030, 3, 1, tzinfo=UTC),)
    center = draw(st.sampled_from(moments))
    minutes = st.integers(-36 * 60, 36 * 60)
    spans = st.tuples(minutes, st.integers(5, 300))
    busy = draw(st.lists(spans, max_size=6))
    offs = draw(st.lists(spans, max_size=3))
    extras = draw(st.lists(spans, max_size=3))
    duration, buffer = draw(TREATMENT_SHAPES)
    return zone, center, busy, offs, extras, duration, buffer


@settings(max_examples=80, deadline=None)
@given(busy_days())
def test_slots_avoid_busy_time_and_time_off(case) -> None:
    zone, center, busy, offs, extras, duration, buffer = case

    def interval(span: tuple[int, int]) -> tuple[dt.datetime, dt.datetime]:
        start = center + dt.timedelta(minutes=span[0])
        return start, start + dt.timedelta(minutes=span[1])

    rules = [
        AvailabilityRule(1, d, dt.time(0), dt.time(23, 45), dt.date(2019, 1, 1))
        for d in range(1, 8)
    ]
    busy_objs = [Busy(1, *interval(s)) for s in busy]
    exceptions = [AvailabilityException(1, "off", *interval(s)) for s in offs]
    exceptions += [AvailabilityException(1, "extra", *interval(s)) for s in extras]
    clinic = Clinic(id=1, name="T", timezone=zone, min_notice_min=0, horizon_days=730)
    treatment = Treatment(code="t", name="T", duration_min=duration, buffer_min=buffer)
    w_start, w_end = center - dt.timedelta(hours=36), center + dt.timedelta(hours=36)
    slots = free_slots(
        rules,
        exceptions,
        busy_objs,
        treatment,
        clinic,
        w_start,
        w_end,
        w_start - dt.timedelta(days=1),
    )
    for s in slots:
        start, end = s.starts_at.astimezone(UTC), s.ends_at.astimezone(UTC)
        blocked_until = end + dt.timedelta(minutes=buffer)
        assert all(not (b.starts_at < blocked_until and start < b.ends_at) for b in busy_objs)
        for exc in exceptions:
            if exc.kind == "off":
                assert not (exc.starts_at < end and start < exc.ends_at)
