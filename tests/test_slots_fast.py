"""The optimised `free_slots` equals the straightforward algorithm it replaced, and `limit=k`
returns exactly the first k slots; random rules, exceptions, busy time, holds and zones, many
windows around real DST transitions."""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_slots_dst_props import ZONES, transitions

from chatbot.domain.models import (
    AvailabilityException,
    AvailabilityRule,
    Busy,
    Clinic,
    Interval,
    Slot,
    Treatment,
)
from chatbot.domain.slots import first_instant, free_slots, open_slots, wall_time_exists

UTC = dt.timezone.utc

# --- the reference: the previous implementation, verbatim -------------------------------------


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for iv in sorted(intervals):
        if merged and iv.start <= merged[-1].end:
            if iv.end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, iv.end)
        else:
            merged.append(iv)
    return merged


def _subtract(opened: list[Interval], removed: list[Interval]) -> list[Interval]:
    """Disjoint sorted `opened` minus disjoint sorted `removed`."""
    out: list[Interval] = []
    for iv in opened:
        pieces = [iv]
        for cut in removed:
            if cut.start >= iv.end:
                break
            nxt: list[Interval] = []
            for p in pieces:
                if not p.overlaps(cut):
                    nxt.append(p)
                    continue
                if p.start < cut.start:
                    nxt.append(Interval(p.start, cut.start))
                if cut.end < p.end:
                    nxt.append(Interval(cut.end, p.end))
            pieces = nxt
        out.extend(pieces)
    return out


class _Disjoint:
    """Sorted disjoint intervals with O(log n) containment/overlap queries."""

    def __init__(self, intervals: list[Interval]) -> None:
        self.starts = [iv.start for iv in intervals]
        self.ends = [iv.end for iv in intervals]

    def contains(self, start: dt.datetime, end: dt.datetime) -> bool:
        i = bisect.bisect_right(self.starts, start) - 1
        return i >= 0 and self.ends[i] >= end

    def overlaps(self, start: dt.datetime, end: dt.datetime) -> bool:
        i = bisect.bisect_left(self.starts, end) - 1
        return i >= 0 and self.ends[i] > start


def _grid(
    origin: dt.datetime, stop: dt.datetime, step: dt.timedelta, tz: ZoneInfo
) -> Iterator[dt.datetime]:
    """Existing local wall times origin, origin+step, ... < stop (naive local), as instants."""
    wall = origin
    while wall < stop:
        if wall_time_exists(wall, tz):
            yield wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
        wall += step


def _ref_dentist_slots(
    dentist_id: int,
    rules: list[AvailabilityRule],
    exceptions: list[AvailabilityException],
    busy: list[Busy],
    treatment: Treatment,
    clinic: Clinic,
    earliest: dt.datetime,
    latest: dt.datetime,
    now: dt.datetime,
) -> list[Slot]:
    tz = clinic.tz
    step = dt.timedelta(minutes=clinic.slot_interval_min)
    grids: list[tuple[dt.datetime, dt.datetime]] = []
    windows: list[Interval] = []
    day = earliest.astimezone(tz).date() - dt.timedelta(days=1)
    last_day = latest.astimezone(tz).date() + dt.timedelta(days=1)
    while day <= last_day:
        for rule in rules:
            if rule.applies_on(day):
                origin, stop = (
                    dt.datetime.combine(day, rule.start),
                    dt.datetime.combine(day, rule.end),
                )
                grids.append((origin, stop))
                windows.append(Interval(first_instant(origin, tz), first_instant(stop, tz)))
        day += dt.timedelta(days=1)
    offs: list[Interval] = []
    for exc in exceptions:
        iv = Interval(exc.starts_at.astimezone(UTC), exc.ends_at.astimezone(UTC))
        if exc.kind == "off":
            offs.append(iv)
        else:
            windows.append(iv)
            local_start = iv.start.astimezone(tz).replace(tzinfo=None)
            local_end = iv.end.astimezone(tz).replace(tzinfo=None)
            grids.append((local_start, max(local_end, local_start + (iv.end - iv.start))))
    opened = _Disjoint(_subtract(_merge(windows), _merge(offs)))
    taken = _Disjoint(
        _merge(
            Interval(b.starts_at.astimezone(UTC), b.ends_at.astimezone(UTC))
            for b in busy
            if b.blocks_at(now)
        )
    )
    found: set[dt.datetime] = set()
    for origin, stop in grids:
        for start in _grid(origin, stop, step, tz):
            if start < earliest or start >= latest or start in found:
                continue
            end = start + treatment.duration
            if opened.contains(start, end) and not taken.overlaps(start, end + treatment.buffer):
                found.add(start)
    return [
        Slot(dentist_id, s.astimezone(tz), (s + treatment.duration).astimezone(tz)) for s in found
    ]


def reference_free_slots(
    rules: Iterable[AvailabilityRule],
    exceptions: Iterable[AvailabilityException],
    busy: Iterable[Busy],
    treatment: Treatment,
    clinic: Clinic,
    window_start: dt.datetime,
    window_end: dt.datetime,
    now: dt.datetime,
    *,
    dentist_ids: Collection[int] | None = None,
) -> list[Slot]:
    earliest = max(window_start, now + dt.timedelta(minutes=clinic.min_notice_min)).astimezone(UTC)
    latest = min(window_end, now + dt.timedelta(days=clinic.horizon_days)).astimezone(UTC)
    if earliest >= latest:
        return []
    by_rules: dict[int, list[AvailabilityRule]] = defaultdict(list)
    by_exc: dict[int, list[AvailabilityException]] = defaultdict(list)
    by_busy: dict[int, list[Busy]] = defaultdict(list)
    for rule in rules:
        by_rules[rule.dentist_id].append(rule)
    for exc in exceptions:
        by_exc[exc.dentist_id].append(exc)
    for b in busy:
        by_busy[b.dentist_id].append(b)
    ids = set(dentist_ids) if dentist_ids is not None else set(by_rules) | set(by_exc)
    slots: list[Slot] = []
    for dentist_id in ids:
        slots += _ref_dentist_slots(
            dentist_id,
            by_rules[dentist_id],
            by_exc[dentist_id],
            by_busy[dentist_id],
            treatment,
            clinic,
            earliest,
            latest,
            now,
        )
    slots.sort(key=lambda s: s.sort_key)
    return slots


# --- comparison ---------------------------------------------------------------------------------


def exact(slots: list[Slot]) -> list[tuple[object, ...]]:
    """Everything observable: order, instants, offsets (fold) and the JSON."""
    return [
        (
            s.dentist_id,
            s.starts_at.astimezone(UTC),
            s.ends_at.astimezone(UTC),
            s.starts_at.utcoffset(),
            s.ends_at.utcoffset(),
            s.starts_at.tzinfo,
            s.ends_at.tzinfo,
            s.to_json()["starts_at"],
            s.to_json()["ends_at"],
        )
        for s in slots
    ]


TIMES = st.integers(0, 24 * 4 - 1).map(lambda q: dt.time(q // 4, q % 4 * 15))


@st.composite
def cases(draw: st.DrawFn):
    zone = draw(st.sampled_from([*ZONES, "UTC", "Asia/Kolkata", "Pacific/Kiritimati"]))
    moments = transitions(zone) if zone in ZONES else ()
    if moments and draw(st.booleans()):
        center = draw(st.sampled_from(moments))
    else:
        center = dt.datetime(draw(st.integers(2020, 2035)), 1, 1, tzinfo=UTC)
        center += dt.timedelta(days=draw(st.integers(0, 364)))
    center += dt.timedelta(minutes=draw(st.integers(-1440, 1440)))
    center_day = center.date()
    dentists = draw(st.integers(1, 3))
    rules = []
    for _ in range(draw(st.integers(0, 6))):
        start, end = sorted(draw(st.tuples(TIMES, TIMES)))
        if start == end:
            continue
        valid_from = center_day + dt.timedelta(days=draw(st.integers(-4, 2)))
        valid_to = draw(
            st.none() | st.integers(0, 5).map(lambda n, f=valid_from: f + dt.timedelta(days=n))
        )
        dentist = draw(st.integers(1, dentists))
        rules.append(
            AvailabilityRule(dentist, draw(st.integers(1, 7)), start, end, valid_from, valid_to)
        )
    if not rules and draw(st.booleans()):
        rules = [
            AvailabilityRule(d, dow, dt.time(8), dt.time(18), dt.date(2019, 1, 1))
            for d in range(1, dentists + 1)
            for dow in range(1, 8)
        ]

    def span(max_len: int) -> tuple[dt.datetime, dt.datetime]:
        start = center + dt.timedelta(minutes=draw(st.integers(-60, 60)) * 50)
        start = start.replace(second=0, microsecond=0)
        return start, start + dt.timedelta(minutes=draw(st.integers(1, max_len)))

    exceptions = [
        AvailabilityException(
            draw(st.integers(1, dentists)), draw(st.sampled_from(["off", "extra"])), *span(600)
        )
        for _ in range(draw(st.integers(0, 4)))
    ]
    now = center + dt.timedelta(minutes=draw(st.integers(-3000, 600)))
    busy = []
    for _ in range(draw(st.integers(0, 12))):
        start, end = span(240)
        expires = draw(
            st.none() | st.integers(-120, 120).map(lambda m: now + dt.timedelta(minutes=m))
        )
        busy.append(Busy(draw(st.integers(1, dentists)), start, end, expires))
    clinic = Clinic(
        id=1,
        name="T",
        timezone=zone,
        slot_interval_min=draw(st.sampled_from([5, 10, 15, 20, 30, 60])),
        min_notice_min=draw(st.sampled_from([0, 60, 24 * 60])),
        horizon_days=draw(st.sampled_from([1, 3, 90])),
    )
    duration, buffer = (
        draw(st.sampled_from([5, 15, 30, 45, 60, 90, 480])),
        draw(st.sampled_from([0, 10, 120])),
    )
    treatment = Treatment(code="t", name="T", duration_min=duration, buffer_min=buffer)
    w_start = center + dt.timedelta(minutes=draw(st.integers(-4000, 600)))
    w_end = w_start + dt.timedelta(minutes=draw(st.integers(1, 6000)))
    local = ZoneInfo(zone)
    w_start = w_start.astimezone(draw(st.sampled_from([UTC, local])))
    ids = draw(st.none() | st.sets(st.integers(1, dentists + 1), max_size=3))
    return rules, exceptions, busy, treatment, clinic, w_start, w_end, now, ids


PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(cases(), st.integers(1, 60))
def test_fast_free_slots_equal_the_reference(case, k: int) -> None:
    rules, exceptions, busy, treatment, clinic, w_start, w_end, now, ids = case
    args = (rules, exceptions, busy, treatment, clinic, w_start, w_end, now)
    want = reference_free_slots(*args, dentist_ids=ids)
    got = free_slots(*args, dentist_ids=ids)
    assert exact(got) == exact(want)
    assert got == want
    limited = free_slots(*args, dentist_ids=ids, limit=k)
    assert exact(limited) == exact(want[:k])
    if want:  # the k-th slot exactly, and the whole list when k runs past it
        assert exact(free_slots(*args, dentist_ids=ids, limit=len(want))) == exact(want)


@PROPS
@given(cases())
def test_open_slots_cut_by_notice_and_horizon_equal_free_slots(case) -> None:
    rules, exceptions, busy, treatment, clinic, w_start, w_end, now, ids = case
    args = (rules, exceptions, busy, treatment, clinic)
    earliest = max(w_start, now + dt.timedelta(minutes=clinic.min_notice_min))
    latest = min(w_end, now + dt.timedelta(days=clinic.horizon_days))
    opened = open_slots(*args, w_start, w_end, now, dentist_ids=ids)
    cut = [s for s in opened if earliest <= s.starts_at < latest]
    assert exact(cut) == exact(free_slots(*args, w_start, w_end, now, dentist_ids=ids))


def test_limit_stops_after_the_day_that_reached_it() -> None:
    """90 days of 20 dentists: asking for 10 slots must not compute the other days (fast)."""
    rules = [
        AvailabilityRule(d, dow, dt.time(8), dt.time(18), dt.date(2026, 1, 1))
        for d in range(1, 21)
        for dow in range(1, 6)
    ]
    clinic = Clinic(id=1, name="T", timezone="Europe/Berlin", min_notice_min=0)
    treatment = Treatment(code="c", name="C", duration_min=30, buffer_min=10)
    now = dt.datetime(2026, 11, 23, 7, tzinfo=UTC)
    end = now + dt.timedelta(days=90)
    first = free_slots(rules, [], [], treatment, clinic, now, end, now, limit=10)
    assert len(first) == 10 and {s.starts_at.date() for s in first} == {now.date()}
    assert [s.dentist_id for s in first] == list(range(1, 11))
    day_two = now + dt.timedelta(days=1)
    whole_day = free_slots(rules, [], [], treatment, clinic, now, day_two, now)
    want = reference_free_slots(rules, [], [], treatment, clinic, now, day_two, now)
    assert exact(whole_day) == exact(want)
