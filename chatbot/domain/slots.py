"""Free-slot computation (pure, DST-correct).

Semantics, in the clinic's IANA zone:

- A weekly rule gives, on each local date it applies to, the working window
  [first instant at/after local `start`, first instant at/after local `end`).
- Candidate starts lie on a grid of `slot_interval_min` counted in *local wall-clock time*
  from the rule's start (09:00, 09:15, ...). A 'extra' exception has its own grid aligned to
  its local start. Wall times that do not exist (spring-forward gap) are skipped; a wall time
  that occurs twice (fall-back) yields one slot, its first occurrence.
- Open time = union(rule windows, 'extra' exceptions) minus 'off' exceptions ('off' wins).
- The appointment [start, start + duration) must lie inside open time; its buffer
  [end, end + buffer) may run past closing but must not overlap busy time (appointments and
  live holds, each already including its own buffer).
- start >= max(window_start, now + min notice) and start < min(window_end, now + horizon).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from typing import Literal
from zoneinfo import ZoneInfo

from chatbot.domain.models import (
    AvailabilityException,
    AvailabilityRule,
    Busy,
    Clinic,
    Interval,
    Slot,
    Treatment,
)

UTC = dt.timezone.utc
SlotProblem = Literal["past", "too_soon", "too_far", "outside_hours", "taken"]


def require_aware(value: dt.datetime, what: str = "time") -> None:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"{what} needs a time zone offset")


def wall_time_exists(naive: dt.datetime, tz: ZoneInfo) -> bool:
    back = naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
    return back.replace(tzinfo=None) == naive


def first_instant(naive: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """The earliest instant whose local wall time is >= `naive` (UTC-aware).

    Existing times map to their first occurrence; times in a DST gap map to the gap's end.
    """
    if wall_time_exists(naive, tz):
        return naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    a = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    b = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    lo, hi = min(a, b), max(a, b)  # wall(lo) < naive < wall(hi)
    while hi - lo > dt.timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(tz).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return hi


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


def _dentist_slots(
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
    grids: list[tuple[dt.datetime, dt.datetime]] = []  # (origin wall, stop wall), naive local
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


def free_slots(
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
    """Bookable slots in [window_start, window_end), sorted by start then dentist.

    Dentists considered: `dentist_ids` if given, else every dentist in rules/exceptions.
    """
    for value, what in ((window_start, "window start"), (window_end, "window end"), (now, "now")):
        require_aware(value, what)
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
        slots += _dentist_slots(
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


def slot_problem(
    rules: Iterable[AvailabilityRule],
    exceptions: Iterable[AvailabilityException],
    busy: Iterable[Busy],
    treatment: Treatment,
    clinic: Clinic,
    dentist_id: int,
    starts_at: dt.datetime,
    now: dt.datetime,
) -> SlotProblem | None:
    """Why `starts_at` is not bookable for `dentist_id` (None = it is a free slot)."""
    require_aware(starts_at, "start time")
    if starts_at <= now:
        return "past"
    if starts_at < now + dt.timedelta(minutes=clinic.min_notice_min):
        return "too_soon"
    if starts_at >= now + dt.timedelta(days=clinic.horizon_days):
        return "too_far"
    rules, exceptions = list(rules), list(exceptions)
    window = (starts_at, starts_at + dt.timedelta(microseconds=1), now)
    args = (treatment, clinic, *window)
    if not free_slots(rules, exceptions, [], *args, dentist_ids=[dentist_id]):
        return "outside_hours"
    if not free_slots(rules, exceptions, busy, *args, dentist_ids=[dentist_id]):
        return "taken"
    return None
