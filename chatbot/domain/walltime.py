"""Instants, local wall times and ticks: the time arithmetic under the slot search (pure).

An instant is handled internally as a "tick", a `timedelta` since the Unix epoch: exact to the
microsecond and one subtraction away from an aware datetime. Wall times that a DST change
skips or repeats are resolved here, once, for every caller (`first_instant`).
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc


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


# Internally an instant is a `timedelta` since the Unix epoch ("tick"): exact to the
# microsecond, and converting from an aware datetime is one subtraction (`replace` is slow).
Tick = dt.timedelta
EPOCH_UTC = dt.datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_WALL = dt.datetime(1970, 1, 1)  # the same, as naive wall time
_HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
_PLAIN_BEFORE = dt.timedelta(hours=2)  # a plain date's offset holds from 2 h before it
_PLAIN_AFTER = dt.timedelta(hours=12)  # ... to 12 h after it


@functools.lru_cache(maxsize=16384)
def plain_offset(tz: ZoneInfo, day: dt.date) -> dt.timedelta | None:
    """The single UTC offset of a *plain* local date, None for other dates.

    A date is plain when the zone's offset, sampled hourly from 2 h before the date's first wall
    time to 12 h after its last one, never changes: its wall times then all exist once, at
    `wall - offset` (real zones never change their offset twice within an hour, so hourly
    samples see every transition). DST days and their neighbours take the exact path per wall
    time. Memoises zone data only, so it is shared by all searches.
    """
    midnight = dt.datetime.combine(day, dt.time())
    try:
        off = midnight.replace(tzinfo=tz).utcoffset()
        if off is None:
            return None
        first = (midnight - off - _PLAIN_BEFORE - EPOCH_WALL) // _HOUR
        last = -((EPOCH_WALL - (midnight + DAY - off + _PLAIN_AFTER)) // _HOUR)  # ceil
        for hour in range(first, last + 1):
            if dt.datetime.fromtimestamp(hour * 3600, tz).utcoffset() != off:
                return None
    except (OverflowError, OSError, ValueError):  # dates near the ends of the calendar
        return None
    return off


def to_tick(value: dt.datetime) -> Tick:
    return value - EPOCH_UTC


def first_tick(naive: dt.datetime, tz: ZoneInfo) -> Tick:
    """`first_instant` as a tick."""
    off = plain_offset(tz, naive.date())
    if off is not None:
        return naive - EPOCH_WALL - off
    return first_instant(naive, tz) - EPOCH_UTC


def merge_pairs(pairs: list[tuple[Tick, Tick]]) -> list[list[Tick]]:
    """Sorted union of half-open (start, end) pairs; touching ones join."""
    merged: list[list[Tick]] = []
    for start, end in sorted(pairs):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1][1] = end
        else:
            merged.append([start, end])
    return merged


def subtract_pairs(opened: list[list[Tick]], removed: list[list[Tick]]) -> list[list[Tick]]:
    """Disjoint sorted `opened` minus disjoint sorted `removed`."""
    if not removed:
        return opened
    out: list[list[Tick]] = []
    for iv in opened:
        pieces = [iv]
        for cut_start, cut_end in removed:
            if cut_start >= iv[1]:
                break
            nxt: list[list[Tick]] = []
            for p in pieces:
                if not (p[0] < cut_end and cut_start < p[1]):
                    nxt.append(p)
                    continue
                if p[0] < cut_start:
                    nxt.append([p[0], cut_start])
                if cut_end < p[1]:
                    nxt.append([cut_end, p[1]])
            pieces = nxt
        out.extend(pieces)
    return out
