"""SlotCache: free-slot inputs per (dentist, clinic-local day), invalidated by outbox events.

What is cached is the *input* of the pure `chatbot.domain.slots.free_slots` (rules, exceptions,
busy time incl. holds with their expiry) for one local day, not its output: slots are computed
per request with the current `now`, so minimum notice and lapsed holds are always right.

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

from sqlalchemy import Engine, text

from chatbot import repository
from chatbot.domain.models import (
    AvailabilityException,
    AvailabilityRule,
    Busy,
    Clinic,
    Dentist,
    Slot,
    Treatment,
)
from chatbot.domain.slots import free_slots
from chatbot.services.availability import load_day_inputs
from chatbot.services.catalog import match_treatment
from sync.events import AVAILABILITY, Event

REACH = dt.timedelta(hours=10)  # how far past its day a slot (+ buffer) can extend
MAX_BUFFER = dt.timedelta(hours=2)
CATALOG_TTL_S = 30.0
MAX_ENTRIES = 20_000  # (dentist, day) pairs; the oldest loaded are dropped beyond this
Key = tuple[int, dt.date]


@dataclass(frozen=True)
class DayInputs:
    rules: list[AvailabilityRule]
    exceptions: list[AvailabilityException]
    busy: list[Busy]
    appointment_ids: frozenset[int]


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

    # -- reads ---------------------------------------------------------------------------------
    async def catalog(self) -> Catalog:
        """Clinic, dentists, treatments (no events for these: a short TTL)."""
        cat = self._catalog
        if cat is None or time.monotonic() - cat.loaded_at > CATALOG_TTL_S:
            cat = await asyncio.to_thread(self._load_catalog)
            self._catalog = cat
        return cat

    def _load_catalog(self) -> Catalog:
        with repository.transaction(self._engine) as conn:
            return Catalog(
                repository.fetch_clinic(conn),
                repository.fetch_dentists(conn),
                repository.fetch_treatments(conn),
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
    ) -> list[Slot]:
        """Free slots in [start, end) for active dentists offering `treatment`."""
        cat = await self.catalog()
        tr = match_treatment(cat.treatments, treatment)
        ids = [
            d.id
            for d in cat.dentists
            if d.active and d.offers(tr.code) and (dentist_ids is None or d.id in dentist_ids)
        ]
        tz = cat.clinic.tz
        days = local_days(start, end, tz)
        inputs = await self._inputs([(i, d) for i in ids for d in days], tz)
        slots: list[Slot] = []
        for (dentist_id, day), day_in in inputs.items():
            lo, hi = day_bounds(day, tz)
            slots += free_slots(
                day_in.rules,
                day_in.exceptions,
                day_in.busy,
                tr,
                cat.clinic,
                max(lo, start),
                min(hi, end),
                now,
                dentist_ids=[dentist_id],
            )
        slots.sort(key=lambda s: s.sort_key)
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
                del self._days[next(iter(self._days))]
            found |= loaded
        return {k: found[k] for k in keys}

    def stats(self) -> dict[str, int]:
        return {"entries": len(self._days), **self.counters}


def _load_days(engine: Engine, keys: list[Key], tz: ZoneInfo) -> dict[Key, DayInputs]:
    """One transaction; per dentist one `load_day_inputs` range read, split into days."""
    by_dentist: dict[int, list[dt.date]] = {}
    for dentist_id, day in keys:
        by_dentist.setdefault(dentist_id, []).append(day)
    out: dict[Key, DayInputs] = {}
    with repository.transaction(engine) as conn:
        for dentist_id, days in by_dentist.items():
            first, last = min(days), max(days)
            lo, hi = day_bounds(first, tz)[0], day_bounds(last, tz)[1] + REACH
            rules, exceptions, busy = load_day_inputs(conn, [dentist_id], lo, hi)
            ids = conn.execute(
                text(
                    "SELECT id, starts_at, blocks_until FROM appointment WHERE dentist_id = :d"
                    " AND starts_at < :hi AND blocks_until > :lo"
                    " AND status NOT IN ('cancelled', 'expired')"
                ),
                {"d": dentist_id, "lo": lo, "hi": hi},
            ).all()
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
