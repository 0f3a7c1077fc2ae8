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
    Slot,
    Treatment,
)
from chatbot.domain.walltime import (
    DAY,
    EPOCH_UTC,
    EPOCH_WALL,
    Tick,
    first_instant,
    first_tick,
    merge_pairs,
    plain_offset,
    require_aware,
    subtract_pairs,
    to_tick,
    wall_time_exists,
)

__all__ = [
    "SlotProblem",
    "first_instant",
    "free_slots",
    "open_slots",
    "require_aware",
    "slot_problem",
    "wall_time_exists",
]

SlotProblem = Literal["past", "too_soon", "too_far", "outside_hours", "taken"]


class _Dentist:
    """One dentist's inputs, prepared once per search: open and busy time as sorted bounds
    (ticks), and the candidate wall-time grids grouped by local date."""

    def __init__(
        self,
        dentist_id: int,
        rules: list[AvailabilityRule],
        exceptions: list[AvailabilityException],
        busy: list[Busy],
        tz: ZoneInfo,
        step: dt.timedelta,
        days: list[dt.date],
        now: dt.datetime,
    ) -> None:
        self.id = dentist_id
        self.grids: dict[dt.date, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
        self.extra_walls: dict[dt.date, list[dt.datetime]] = defaultdict(list)
        windows: list[tuple[Tick, Tick]] = []
        by_dow: dict[int, list[AvailabilityRule]] = defaultdict(list)
        for rule in rules:
            by_dow[rule.isodow].append(rule)
        for day in days:
            for rule in by_dow.get(day.isoweekday(), ()):
                if rule.valid_from <= day and (rule.valid_to is None or day <= rule.valid_to):
                    origin = dt.datetime.combine(day, rule.start)
                    stop = dt.datetime.combine(day, rule.end)
                    self.grids[day].append((origin, stop))
                    windows.append((first_tick(origin, tz), first_tick(stop, tz)))
        offs: list[tuple[Tick, Tick]] = []
        for exc in exceptions:
            iv = (to_tick(exc.starts_at), to_tick(exc.ends_at))
            if exc.kind == "off":
                offs.append(iv)
                continue
            windows.append(iv)
            local_start = exc.starts_at.astimezone(tz).replace(tzinfo=None)
            local_end = exc.ends_at.astimezone(tz).replace(tzinfo=None)
            wall, stop = local_start, max(local_end, local_start + (iv[1] - iv[0]))
            while wall < stop:
                self.extra_walls[wall.date()].append(wall)
                wall += step
        opened = subtract_pairs(merge_pairs(windows), merge_pairs(offs))
        self.open_starts = [iv[0] for iv in opened]
        self.open_ends = [iv[1] for iv in opened]
        taken = merge_pairs(
            [
                (b.starts_at - EPOCH_UTC, b.ends_at - EPOCH_UTC)
                for b in busy
                if b.expires_at is None or b.expires_at > now  # = Busy.blocks_at(now)
            ]
        )
        self.busy_starts = [iv[0] for iv in taken]
        self.busy_ends = [iv[1] for iv in taken]

    def candidate_days(self) -> set[dt.date]:
        return set(self.grids) | set(self.extra_walls)

    def starts(self, day: dt.date, tz: ZoneInfo, step: dt.timedelta) -> Iterator[Tick]:
        """Ticks of the existing grid wall times on `day` (each wall's first occurrence); one
        UTC offset for the whole date when it is plain, else exact per wall time."""
        grids = self.grids.get(day, ())
        extra = self.extra_walls.get(day, ())
        off = plain_offset(tz, day)
        if off is not None:
            shift = EPOCH_WALL + off
            for origin, stop in grids:
                tick, last = origin - shift, stop - shift
                while tick < last:
                    yield tick
                    tick += step
            for wall in extra:
                yield wall - shift
            return
        walls: list[dt.datetime] = []
        for origin, stop in grids:
            wall = origin
            while wall < stop:
                walls.append(wall)
                wall += step
        for wall in walls + list(extra):
            if wall_time_exists(wall, tz):
                yield wall.replace(tzinfo=tz, fold=0) - EPOCH_UTC


def _day_slots(
    d: _Dentist,
    day: dt.date,
    tz: ZoneInfo,
    step: dt.timedelta,
    duration: dt.timedelta,
    buffer: dt.timedelta,
    earliest: Tick,
    latest: Tick,
) -> list[Slot]:
    """`d`'s free slots whose local wall time is on `day` (any order)."""
    if day not in d.grids and day not in d.extra_walls:
        return []
    open_starts, open_ends = d.open_starts, d.open_ends
    busy_starts, busy_ends = d.busy_starts, d.busy_ends
    bisect_left, bisect_right = bisect.bisect_left, bisect.bisect_right
    off = plain_offset(tz, day)  # one offset all day: local times without a zone look-up
    wall = EPOCH_WALL + off if off is not None else None
    seen: set[Tick] = set()
    out: list[Slot] = []
    for s in d.starts(day, tz, step):
        if s < earliest or s >= latest or s in seen:
            continue
        end = s + duration
        i = bisect_right(open_starts, s) - 1  # the open piece starting at/before s must hold it
        if i < 0 or open_ends[i] < end:
            continue
        j = bisect_left(busy_starts, end + buffer) - 1  # the last busy piece starting before
        if j >= 0 and busy_ends[j] > s:
            continue
        seen.add(s)
        if wall is not None:
            local = (wall + s).replace(tzinfo=tz)
            out.append(Slot(d.id, local, local + duration))
            continue
        start = EPOCH_UTC + s
        out.append(Slot(d.id, start.astimezone(tz), (start + duration).astimezone(tz)))
    return out


def _sort_key(slot: Slot) -> tuple[dt.datetime, int]:
    return (slot.starts_at, slot.dentist_id)


def _search(
    rules: Iterable[AvailabilityRule],
    exceptions: Iterable[AvailabilityException],
    busy: Iterable[Busy],
    treatment: Treatment,
    clinic: Clinic,
    earliest_at: dt.datetime,
    latest_at: dt.datetime,
    now: dt.datetime,
    dentist_ids: Collection[int] | None,
    limit: int | None,
) -> list[Slot]:
    """Slots starting in [earliest_at, latest_at), walking local dates in order (all dentists
    per date): slots sort by local wall time, so a `limit` reached on one date is final."""
    if earliest_at >= latest_at:
        return []
    tz = clinic.tz
    step = dt.timedelta(minutes=clinic.slot_interval_min)
    duration, buffer = treatment.duration, treatment.buffer
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
    first_day = earliest_at.astimezone(tz).date() - DAY
    last_day = latest_at.astimezone(tz).date() + DAY
    days = [first_day + i * DAY for i in range((last_day - first_day).days + 1)]
    dentists = [_Dentist(i, by_rules[i], by_exc[i], by_busy[i], tz, step, days, now) for i in ids]
    all_days: set[dt.date] = set()
    for d in dentists:
        all_days |= d.candidate_days()
    earliest, latest = to_tick(earliest_at), to_tick(latest_at)
    found: list[Slot] = []
    for day in sorted(all_days):
        todays: list[Slot] = []
        for d in dentists:
            todays += _day_slots(d, day, tz, step, duration, buffer, earliest, latest)
        todays.sort(key=_sort_key)  # = Slot.sort_key; one zone, so starts compare as wall times
        found += todays
        if limit is not None and len(found) >= limit:
            return found[:limit]
    return found


def _require_aware_window(start: dt.datetime, end: dt.datetime, now: dt.datetime) -> None:
    for value, what in ((start, "window start"), (end, "window end"), (now, "now")):
        require_aware(value, what)


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
    limit: int | None = None,
) -> list[Slot]:
    """Bookable slots in [window_start, window_end), sorted by start then dentist; the first
    `limit` of them when given (the search stops once those are certain).

    Dentists considered: `dentist_ids` if given, else every dentist in rules/exceptions.
    """
    _require_aware_window(window_start, window_end, now)
    earliest = max(window_start, now + dt.timedelta(minutes=clinic.min_notice_min))
    latest = min(window_end, now + dt.timedelta(days=clinic.horizon_days))
    return _search(
        rules, exceptions, busy, treatment, clinic, earliest, latest, now, dentist_ids, limit
    )


def open_slots(
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
    """Like `free_slots` without the minimum-notice and horizon cut (`now` only decides which
    holds still block): `free_slots` = these slots with start in [now + notice, now + horizon).
    For caches that keep a day's slots across requests."""
    _require_aware_window(window_start, window_end, now)
    return _search(
        rules, exceptions, busy, treatment, clinic, window_start, window_end, now, dentist_ids, None
    )


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
