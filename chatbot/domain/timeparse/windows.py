"""Local wall-clock times to aware instants, DST-safe.

A local time that does not exist (the spring-forward gap) is read with fold=0 and normalized
through UTC, so it moves forward by the gap: 02:30 on 2024-03-31 in Europe/Berlin becomes
03:30+02:00. A local time that happens twice (fall back) takes its first occurrence (fold=0).
Whole days run from local midnight to the next local midnight, so they last 23 or 25 hours on
DST days.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone, tzinfo


def local(day: date, at: time, zone: tzinfo) -> datetime:
    naive = datetime.combine(day, at).replace(tzinfo=zone, fold=0)
    return naive.astimezone(timezone.utc).astimezone(zone)


def later(instant: datetime, delta: timedelta) -> datetime:
    """`instant` plus elapsed time (not wall-clock time), in the same zone."""
    zone = instant.tzinfo
    assert zone is not None
    return (instant.astimezone(timezone.utc) + delta).astimezone(zone)


def day_start(day: date, zone: tzinfo) -> datetime:
    return local(day, time(0), zone)
