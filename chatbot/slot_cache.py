"""SlotCache: free-slot inputs per (dentist, clinic-local day), invalidated by outbox events.

What is cached is the *input* of the pure `chatbot.domain.slots.free_slots` (rules, exceptions,
busy time incl. holds with their expiry) for one local day, and derived from it, per treatment
shape (duration, buffer), that day's slots *before* the minimum-notice/horizon cut
(`domain.slots.open_slots`). Minimum notice and horizon are applied per request with the
current `now`; a derived list is only used while its day's inputs are the cached ones (so every
invalidation below drops it too) and while `now` lies between the expiries of the day's holds
(a lapsing hold recomputes the day). A warm search is dictionary look-ups plus a per-day merge
that stops once `limit` slots are certain.

Invalidation (the listener runs `apply` before the hub sees an event):
- `appointment.*` / `hold.*`: the dentist's days the new times touch (a slot of day D can
  reach 10 h past midnight: 8 h max treatment + 2 h max buffer), plus every cached day that
  held this appointment id before (a reschedule's old day: events carry the new row only).
- `availability.updated`: an exception insert/delete → the days it spans; a rule change or an
  exception update (old values unknown) → every cached day of that dentist.
A per-dentist generation number drops loads that raced with an invalidation, so a day read
before a change is never stored after the change's event.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from chatbot.domain.models import (
    AvailabilityException,
    AvailabilityRule,
    Busy,
    Clinic,
    Dentist,
    Slot,
    Treatment,
)
from chatbot.domain.slots import open_slots, require_aware
from chatbot.events import AVAILABILITY, Event
from chatbot.repositories import appointments, catalog, unit
from chatbot.services.availability import load_day_inputs
from chatbot.services.catalog import match_treatment

REACH = dt.timedelta(hours=10)  # how far past its day a slot (+ buffer) can extend
MAX_BUFFER = dt.timedelta(hours=2)
CATALOG_TTL_S = 30.0
MAX_ENTRIES = 20_000  # (dentist, day) pairs; the oldest loaded are dropped beyond this
MAX_SLOT_LISTS = 4_000  # derived (dentist, day, shape) slot lists (~10 KB each); oldest dropped
Key = tuple[int, dt.date]
Shape = tuple[int, int, int, str]  # duration, buffer, slot interval, zone
UTC = dt.timezone.utc


@dataclass(frozen=True)
class DayInputs:
    rules: list[AvailabilityRule]
    exceptions: list[AvailabilityException]
    busy: list[Busy]
    appointment_ids: frozenset[int]


@dataclass(frozen=True)
class DaySlots:
    """One dentist's slots on one local day (no notice/horizon cut), derived from `inputs` with
    any `now` in [valid_from, valid_until) (None = unbounded): the holds blocking are the same."""

    inputs: DayInputs
    slots: list[Slot]
    valid_from: dt.datetime | None
    valid_until: dt.datetime | None

    def valid_at(self, now: dt.datetime) -> bool:
        return (self.valid_from is None or now >= self.valid_from) and (
            self.valid_until is None or now < self.valid_until
        )


@dataclass(frozen=True)
class Catalog:
    clinic: Clinic
    dentists: list[Dentist]
    treatments: list[Treatment]
    loaded_at: float


def day_bounds(day: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(), tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz)
    return start, end


def local_days(start: dt.datetime, end: dt.datetime, tz: ZoneInfo) -> list[dt.date]:
    """Local dates touched by [start, end)."""
    first = start.astimezone(tz).date()
    last = (end - dt.timedelta(microseconds=1)).astimezone(tz).date()
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _parse(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else None


class SlotCache:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._days: dict[Key, DayInputs] = {}
        self._slots: dict[tuple[Key, Shape], DaySlots] = {}
        self._shapes: set[Shape] = set()
        self._gen: Counter[int] = Counter()
        self._catalog: Catalog | None = None
        self.counters: Counter[str] = Counter()

    # -- invalidation (listener sink; synchronous, cheap) -------------------------------------
    def apply(self, events: list[Event]) -> None:
        for event in events:
            if event.dentist_id is None:
                continue
            if event.type == AVAILABILITY:
                self._on_availability(event)
            elif event.type.startswith(("appointment.", "hold.")):
                self._on_appointment(event)

    def invalidate_dentist(self, dentist_id: int) -> None:
        self._gen[dentist_id] += 1
        self._drop(k for k in self._days if k[0] == dentist_id)

    def _on_appointment(self, event: Event) -> None:
        dentist_id = event.dentist_id
        assert dentist_id is not None
        self._gen[dentist_id] += 1
        appointment_id = event.data.get("id")
        stale = {k for k, v in self._days.items() if appointment_id in v.appointment_ids}
        start, end = _parse(event.data.get("starts_at")), _parse(event.data.get("ends_at"))
        if start is None or end is None or self._catalog is None:
            stale |= {k for k in self._days if k[0] == dentist_id}
        else:
            tz = self._catalog.clinic.tz
            stale |= {(dentist_id, d) for d in local_days(start - REACH, end + MAX_BUFFER, tz)}
        self._drop(stale)

    def _on_availability(self, event: Event) -> None:
        dentist_id = event.dentist_id
        assert dentist_id is not None
        row = event.data.get("row") or {}
        start, end = _parse(row.get("starts_at")), _parse(row.get("ends_at"))
        precise = (
            event.data.get("source") == "availability_exception"
            and event.data.get("op") in ("insert", "delete")
            and start is not None
            and end is not None
            and self._catalog is not None
        )
        if not precise:
            self.invalidate_dentist(dentist_id)
            return
        assert start is not None and end is not None and self._catalog is not None
        self._gen[dentist_id] += 1
        self._drop((dentist_id, d) for d in local_days(start - REACH, end, self._catalog.clinic.tz))

    def _drop(self, keys: Iterable[Key]) -> None:
        for key in list(keys):
            if self._days.pop(key, None) is not None:
                self.counters["invalidations"] += 1
            for shape in self._shapes:  # derived lists (also unusable once the inputs go)
                self._slots.pop((key, shape), None)

    # -- reads ---------------------------------------------------------------------------------
    async def catalog(self) -> Catalog:
        """Clinic, dentists, treatments (no events for these: a short TTL)."""
        cat = self._catalog
        if cat is None or time.monotonic() - cat.loaded_at > CATALOG_TTL_S:
            cat = await asyncio.to_thread(self._load_catalog)
            self._catalog = cat
        return cat

    def _load_catalog(self) -> Catalog:
        with unit.transaction(self._engine) as conn:
            return Catalog(
                catalog.fetch_clinic(conn),
                catalog.fetch_dentists(conn),
                catalog.fetch_treatments(conn),
                time.monotonic(),
            )

    async def free_slots(
        self,
        treatment: str,
        start: dt.datetime,
        end: dt.datetime,
        now: dt.datetime,
        *,
        dentist_ids: list[int] | None = None,
        limit: int | None = None,
    ) -> list[Slot]:
        """Free slots in [start, end) for active dentists offering `treatment`, sorted by start
        then dentist; only the first `limit` when given (later days are not looked at)."""
        for value, what in ((start, "window start"), (end, "window end"), (now, "now")):
            require_aware(value, what)
        cat = await self.catalog()
        tr = match_treatment(cat.treatments, treatment)
        ids = [
            d.id
            for d in cat.dentists
            if d.active and d.offers(tr.code) and (dentist_ids is None or d.id in dentist_ids)
        ]
        clinic = cat.clinic
        tz = clinic.tz
        days = local_days(start, end, tz)
        inputs = await self._inputs([(i, d) for i in ids for d in days], tz)
        # what `domain.slots.free_slots` would cut: start in [earliest, latest), as instants
        earliest = max(start, now + dt.timedelta(minutes=clinic.min_notice_min)).astimezone(UTC)
        latest = min(end, now + dt.timedelta(days=clinic.horizon_days)).astimezone(UTC)
        shape = (tr.duration_min, tr.buffer_min, clinic.slot_interval_min, clinic.timezone)
        found: list[Slot] = []
        for day in days:
            lo, hi = day_bounds(day, tz)
            if max(lo, earliest) >= min(hi, latest):
                continue
            whole = lo >= earliest and hi <= latest
            todays: list[Slot] = []
            for dentist_id in ids:
                key = (dentist_id, day)
                day_slots = self._day_slots(key, shape, inputs[key], tr, clinic, lo, hi, now)
                if whole:
                    todays += day_slots
                else:  # different zones: compared as instants
                    todays += [s for s in day_slots if earliest <= s.starts_at < latest]
            todays.sort(key=_sort_key)
            found += todays
            if limit is not None and len(found) >= limit:
                return found[:limit]
        return found

    def _day_slots(
        self,
        key: Key,
        shape: Shape,
        day_in: DayInputs,
        tr: Treatment,
        clinic: Clinic,
        lo: dt.datetime,
        hi: dt.datetime,
        now: dt.datetime,
    ) -> list[Slot]:
        """One dentist's slots on one day (no notice/horizon cut), derived once per inputs."""
        cached = self._slots.get((key, shape))
        if cached is not None and cached.inputs is day_in and cached.valid_at(now):
            self.counters["slot_hits"] += 1
            return cached.slots
        self.counters["slot_computes"] += 1
        slots = open_slots(
            day_in.rules, day_in.exceptions, day_in.busy, tr, clinic, lo, hi, now,
            dentist_ids=[key[0]],
        )  # fmt: skip
        if self._days.get(key) is day_in:  # never keep what was derived from dropped inputs
            expiries = [b.expires_at for b in day_in.busy if b.expires_at is not None]
            self._slots.pop((key, shape), None)  # re-insert: eviction drops the oldest first
            self._slots[(key, shape)] = DaySlots(
                day_in,
                slots,
                max((e for e in expiries if e <= now), default=None),
                min((e for e in expiries if e > now), default=None),
            )
            self._shapes.add(shape)
            while len(self._slots) > MAX_SLOT_LISTS:
                del self._slots[next(iter(self._slots))]
        return slots

    async def _inputs(self, keys: list[Key], tz: ZoneInfo) -> dict[Key, DayInputs]:
        found = {k: self._days[k] for k in keys if k in self._days}
        self.counters["hits"] += len(found)
        missing = [k for k in keys if k not in found]
        if missing:
            self.counters["misses"] += len(missing)
            gens = {k[0]: self._gen[k[0]] for k in missing}
            loaded = await asyncio.to_thread(_load_days, self._engine, missing, tz)
            for key, value in loaded.items():
                if self._gen[key[0]] == gens[key[0]]:  # no invalidation raced with the load
                    self._days[key] = value
            while len(self._days) > MAX_ENTRIES:
                self._drop_entry(next(iter(self._days)))
            found |= loaded
        return {k: found[k] for k in keys}

    def _drop_entry(self, key: Key) -> None:
        """Evict (not an invalidation): the day's inputs and what was derived from them."""
        del self._days[key]
        for shape in self._shapes:
            self._slots.pop((key, shape), None)

    def stats(self) -> dict[str, int]:
        return {"entries": len(self._days), "slot_lists": len(self._slots), **self.counters}


def _sort_key(slot: Slot) -> tuple[dt.datetime, int]:
    return (slot.starts_at, slot.dentist_id)


def _load_days(engine: Engine, keys: list[Key], tz: ZoneInfo) -> dict[Key, DayInputs]:
    """One transaction; per dentist one `load_day_inputs` range read, split into days."""
    by_dentist: dict[int, list[dt.date]] = {}
    for dentist_id, day in keys:
        by_dentist.setdefault(dentist_id, []).append(day)
    out: dict[Key, DayInputs] = {}
    with unit.transaction(engine) as conn:
        for dentist_id, days in by_dentist.items():
            first, last = min(days), max(days)
            lo, hi = day_bounds(first, tz)[0], day_bounds(last, tz)[1] + REACH
            rules, exceptions, busy = load_day_inputs(conn, [dentist_id], lo, hi)
            ids = appointments.live_appointment_spans(conn, dentist_id, lo, hi)
            for day in days:
                d_lo, d_hi = day_bounds(day, tz)
                reach = d_hi + REACH
                out[(dentist_id, day)] = DayInputs(
                    rules=[r for r in rules if r.applies_on(day)],
                    exceptions=[e for e in exceptions if e.starts_at < reach and e.ends_at > d_lo],
                    busy=[b for b in busy if b.starts_at < reach and b.ends_at > d_lo],
                    appointment_ids=frozenset(i for i, s, e in ids if s < reach and e > d_lo),
                )
    return out
