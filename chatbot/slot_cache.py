"""SlotCache: the slot search's day inputs per (dentist, clinic-local day), kept in memory and
invalidated by outbox events only. A `SlotSource` for `chatbot.services.slot_search`.

What is cached is the *input* of one day (rules, exceptions, busy time incl. holds with their
expiry, as `services.slot_days` reads them), and derived from it, per treatment shape
(duration, buffer), that day's slots *before* the minimum-notice/horizon cut
(`domain.slots.open_slots`). The search applies notice and horizon with the current `now`; a
derived list is only used while its day's inputs are the cached ones (so every invalidation
below drops it too) and while `now` lies between the expiries of the day's holds (a lapsing
hold recomputes the day). A warm search is dictionary look-ups plus a per-day merge that stops
once `limit` slots are certain.

Invalidation (the listener runs `apply` before any other sink sees an event):
- `appointment.*` / `hold.*`: the dentist's days the new times touch (a slot of day D can
  reach 10 h past midnight: 8 h max treatment + 2 h max buffer), plus every cached day that
  held this appointment id before (a reschedule's old day: events carry the new row only).
- `availability.updated`: an exception insert/delete → the days it spans; a rule change or an
  exception update (old values unknown) → every cached day of that dentist.
A per-dentist generation number drops loads that raced with an invalidation, so a day read
before a change is never stored after the change's event.

Not thread-safe by design: one event loop owns it (the listener's sink and the searches run
there). `search` loads missing days in a worker thread without blocking that loop; the
synchronous `SlotSource` methods load what is missing in place.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from chatbot.domain.models import Clinic, Slot, Treatment
from chatbot.events import AVAILABILITY, Event
from chatbot.services import slot_search
from chatbot.services.slot_days import REACH, DayInputs, DbSlotSource, load_days, open_day_slots
from chatbot.services.slot_search import Catalog, Key, Plan, SlotQuery, local_days

MAX_BUFFER = dt.timedelta(hours=2)
CATALOG_TTL_S = 30.0
MAX_ENTRIES = 20_000  # (dentist, day) pairs; the oldest loaded are dropped beyond this
MAX_SLOT_LISTS = 4_000  # derived (dentist, day, shape) slot lists (~10 KB each); oldest dropped
Shape = tuple[int, int, int, str]  # duration, buffer, slot interval, zone


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


def _parse(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else None


class SlotCache:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._db = DbSlotSource(engine)
        self._days: dict[Key, DayInputs] = {}
        self._slots: dict[tuple[Key, Shape], DaySlots] = {}
        self._shapes: set[Shape] = set()
        self._gen: Counter[int] = Counter()
        self._catalog: Catalog | None = None
        self._catalog_at = 0.0
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

    # -- reads: the SlotSource protocol ---------------------------------------------------------
    def catalog(self) -> Catalog:
        """Clinic, dentists, treatments (no events for these: a short TTL)."""
        if self._catalog is None or time.monotonic() - self._catalog_at > CATALOG_TTL_S:
            self._keep_catalog(self._db.catalog())
        assert self._catalog is not None
        return self._catalog

    def day_slots(
        self,
        dentist_ids: Sequence[int],
        days: Sequence[dt.date],
        treatment: Treatment,
        clinic: Clinic,
        now: dt.datetime,
    ) -> Iterator[list[Slot]]:
        keys = [(i, d) for d in days for i in dentist_ids]
        missing = [k for k in keys if k not in self._days]
        if missing:
            self._keep_days(
                missing, self._gens(missing), load_days(self._engine, missing, clinic.tz)
            )
        found = {k: self._days.get(k) for k in keys}
        self.counters["hits"] += len(keys) - len(missing)
        shape = (
            treatment.duration_min,
            treatment.buffer_min,
            clinic.slot_interval_min,
            clinic.timezone,
        )
        for day in days:
            todays: list[Slot] = []
            for dentist_id in dentist_ids:
                key = (dentist_id, day)
                day_in = found[key]
                if day_in is None:  # evicted right after loading (a huge window): compute anyway
                    day_in = load_days(self._engine, [key], clinic.tz)[key]
                todays += self._day_slots(key, shape, day_in, treatment, clinic, now)
            yield todays

    # -- reads for async callers: misses load in a worker thread ---------------------------------
    async def search(self, query: SlotQuery) -> list[Slot]:
        """`slot_search.search` over this cache without blocking the event loop on a miss."""
        p = slot_search.plan(await self.fresh_catalog(), query)
        await self._prefetch(p)
        return slot_search.collect(self, p)  # no await since the prefetch: nothing changed

    async def fresh_catalog(self) -> Catalog:
        """`catalog()`, re-read in a worker thread when it is older than CATALOG_TTL_S."""
        if self._catalog is None or time.monotonic() - self._catalog_at > CATALOG_TTL_S:
            self._keep_catalog(await asyncio.to_thread(self._db.catalog))
        return self.catalog()

    async def _prefetch(self, p: Plan) -> None:
        missing = [(i, d) for d in p.days for i in p.dentist_ids if (i, d) not in self._days]
        if missing:
            gens = self._gens(missing)
            loaded = await asyncio.to_thread(load_days, self._engine, missing, p.clinic.tz)
            self._keep_days(missing, gens, loaded)

    def _keep_catalog(self, catalog: Catalog) -> None:
        self._catalog, self._catalog_at = catalog, time.monotonic()

    def _gens(self, keys: list[Key]) -> dict[int, int]:
        return {k[0]: self._gen[k[0]] for k in keys}

    def _keep_days(
        self, keys: list[Key], gens: dict[int, int], loaded: dict[Key, DayInputs]
    ) -> None:
        """Store loaded days unless an invalidation of their dentist came in meanwhile."""
        self.counters["misses"] += len(keys)
        for key, value in loaded.items():
            if self._gen[key[0]] == gens[key[0]]:
                self._days[key] = value
        while len(self._days) > MAX_ENTRIES:
            self._drop_entry(next(iter(self._days)))

    def _day_slots(
        self,
        key: Key,
        shape: Shape,
        day_in: DayInputs,
        tr: Treatment,
        clinic: Clinic,
        now: dt.datetime,
    ) -> list[Slot]:
        """One dentist's slots on one day (no notice/horizon cut), derived once per inputs."""
        cached = self._slots.get((key, shape))
        if cached is not None and cached.inputs is day_in and cached.valid_at(now):
            self.counters["slot_hits"] += 1
            return cached.slots
        self.counters["slot_computes"] += 1
        slots = open_day_slots(key[0], key[1], day_in, tr, clinic, now)
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

    def _drop_entry(self, key: Key) -> None:
        """Evict (not an invalidation): the day's inputs and what was derived from them."""
        del self._days[key]
        for shape in self._shapes:
            self._slots.pop((key, shape), None)

    def stats(self) -> dict[str, int]:
        return {"entries": len(self._days), "slot_lists": len(self._slots), **self.counters}
