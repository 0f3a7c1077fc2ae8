"""The one free-slot search, over any source of per-(dentist, local day) slots.

`search` owns every rule of a search: argument checks, the default window, treatment matching,
which dentists, the minimum-notice/horizon cut, the order and the limit. Where a day's slots
come from is the source's business (`SlotSource`): `DbSlotSource` reads the database on every
search (five queries whatever the window), `chatbot.slot_cache.SlotCache` keeps days in memory
and is invalidated by the outbox listener. Both hand out a day's slots *before* the notice and
horizon cut, so the two answer identically for the same database state and `now`.

Days are walked in local-date order (slots sort by local wall time, so a limit reached on one
date is final) and a source is asked for the next day only when the limit is not reached yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from operator import attrgetter
from typing import Protocol
from zoneinfo import ZoneInfo

from chatbot.domain.models import Clinic, Dentist, Slot, Treatment
from chatbot.domain.walltime import plain_offset
from chatbot.errors import InvalidInput, NotFound
from chatbot.services.catalog import match_treatment
from chatbot.services.guards import aware, ident, window

UTC = dt.timezone.utc
DEFAULT_WINDOW = dt.timedelta(days=14)
MAX_SLOTS = 2000
Key = tuple[int, dt.date]  # (dentist id, clinic-local date)


@dataclass(frozen=True)
class Catalog:
    """What a search needs besides the days: the clinic's rules, dentists, treatments."""

    clinic: Clinic
    dentists: list[Dentist]
    treatments: list[Treatment]


class SlotSource(Protocol):
    def catalog(self) -> Catalog:
        """The clinic, every dentist and treatment."""

    def day_slots(
        self,
        dentist_ids: Sequence[int],
        days: Sequence[dt.date],
        treatment: Treatment,
        clinic: Clinic,
        now: dt.datetime,
    ) -> Iterator[list[Slot]]:
        """For each of `days` in order: those dentists' slots that day, any order, without the
        notice/horizon cut (`now` only decides which holds still block). Consumed lazily."""


@dataclass(frozen=True)
class SlotQuery:
    """What a search asks for, unchecked (`plan` checks it): free `treatment` slots starting in
    [start, end) (default now .. now + 14 days), of one dentist or any, the first `limit`
    (default and at most MAX_SLOTS); `now` decides notice, horizon and which holds block."""

    treatment: str
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    dentist_id: int | None = None
    limit: int | None = None
    now: dt.datetime | None = None


@dataclass(frozen=True)
class Plan:
    """A checked search: who, which days, and the instants a slot's start must lie in."""

    treatment: Treatment
    clinic: Clinic
    dentist_ids: list[int]
    earliest: dt.datetime
    latest: dt.datetime
    limit: int
    now: dt.datetime

    @property
    def days(self) -> list[dt.date]:
        if self.earliest >= self.latest or not self.dentist_ids:
            return []
        return local_days(self.earliest, self.latest, self.clinic.tz)


def day_bounds(day: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(), tz)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz)


def local_days(start: dt.datetime, end: dt.datetime, tz: ZoneInfo) -> list[dt.date]:
    """Local dates touched by [start, end)."""
    first = start.astimezone(tz).date()
    last = (end - dt.timedelta(microseconds=1)).astimezone(tz).date()
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def offering(
    dentists: Sequence[Dentist], treatment: Treatment, dentist_id: int | None
) -> list[Dentist]:
    """Active dentists offering `treatment` (just `dentist_id` when given)."""
    if dentist_id is not None:
        chosen = [d for d in dentists if d.id == dentist_id]
        if not chosen or not chosen[0].active:
            raise NotFound(f"There is no dentist with id {dentist_id}.")
        if not chosen[0].offers(treatment.code):
            raise InvalidInput(f"{chosen[0].display_name} does not offer {treatment.name}.")
        return chosen
    return [d for d in dentists if d.active and d.offers(treatment.code)]


def plan(catalog: Catalog, query: SlotQuery) -> Plan:
    """Check a search (window of at most the horizon + 1 day; default now .. now + 14 days)
    and cut it to [now + minimum notice, now + horizon)."""
    now = aware(query.now, "now") if query.now is not None else dt.datetime.now(UTC)
    start = query.start if query.start is not None else now
    end = query.end if query.end is not None else aware(start, "start") + DEFAULT_WINDOW
    dentist_id, limit = query.dentist_id, query.limit
    if dentist_id is not None:
        dentist_id = ident(dentist_id, "dentist id")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise InvalidInput("limit must be a positive whole number.")
    clinic = catalog.clinic
    start, end = window(start, end, max_days=clinic.horizon_days + 1)
    chosen = match_treatment(catalog.treatments, query.treatment)
    dentists = offering(catalog.dentists, chosen, dentist_id)
    return Plan(
        treatment=chosen,
        clinic=clinic,
        dentist_ids=[d.id for d in dentists],
        earliest=max(start, now + dt.timedelta(minutes=clinic.min_notice_min)).astimezone(UTC),
        latest=min(end, now + dt.timedelta(days=clinic.horizon_days)).astimezone(UTC),
        limit=min(limit or MAX_SLOTS, MAX_SLOTS),
        now=now,
    )


def collect(source: SlotSource, p: Plan) -> list[Slot]:
    """The planned search's slots, sorted by start then dentist, at most `p.limit`."""
    days = p.days
    if not days:
        return []
    found: list[Slot] = []
    per_day = source.day_slots(p.dentist_ids, days, p.treatment, p.clinic, p.now)
    try:
        for day, slots in zip(days, per_day, strict=False):
            lo, hi = day_bounds(day, p.clinic.tz)
            if lo < p.earliest or hi > p.latest:  # a day the notice or horizon cuts
                slots = _cut(slots, p, day)
            found += sorted(slots, key=_sort_key)
            if len(found) >= p.limit:
                return found[: p.limit]
    finally:
        close = getattr(per_day, "close", None)
        if close is not None:
            close()  # a lazy source stops reading days
    return found


def search(source: SlotSource, query: SlotQuery) -> list[Slot]:
    """The first `limit` (at most MAX_SLOTS) free slots, sorted by start then dentist."""
    return collect(source, plan(source.catalog(), query))


def earliest(source: SlotSource, query: SlotQuery) -> list[Slot]:
    """The first `query.limit` free slots from `query.now` (start and end are ignored): a week
    ahead first, then the whole horizon."""
    now = aware(query.now, "now") if query.now is not None else dt.datetime.now(UTC)
    catalog = source.catalog()
    horizon = catalog.clinic.horizon_days
    found: list[Slot] = []
    for days in (7, horizon):
        ahead = dt.timedelta(days=min(days, horizon))
        found = collect(source, plan(catalog, replace(query, start=now, end=now + ahead, now=now)))
        if len(found) >= (query.limit or MAX_SLOTS):
            break
    return found


def _cut(slots: list[Slot], p: Plan, day: dt.date) -> list[Slot]:
    """Slots starting in [p.earliest, p.latest). On a day with one UTC offset the bounds are
    taken to the clinic zone, so each comparison is a plain wall-time one (same tzinfo)."""
    tz = p.clinic.tz
    if plain_offset(tz, day) is None:
        return [s for s in slots if p.earliest <= s.starts_at < p.latest]
    earliest, latest = p.earliest.astimezone(tz), p.latest.astimezone(tz)
    return [s for s in slots if earliest <= s.starts_at < latest]


_sort_key = attrgetter("starts_at", "dentist_id")  # one zone: wall order, then dentist
