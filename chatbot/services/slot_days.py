"""Day inputs of the slot search, read from the database: the uncached `DbSlotSource` and the
loader `SlotCache` fills its days with. Both split the same rows into local days the same way.

A slot of local day D (and its buffer) lies in [D 00:00, D+1 00:00 + REACH): 8 h at most for a
treatment plus 2 h of buffer. So D's inputs are the exceptions and busy time overlapping that
span, and the weekly rules of D (a rule's hours end before midnight, so the next day's rules
never hold a slot of D; extra hours past midnight are exceptions, within REACH).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine

from chatbot.domain.models import (
    AvailabilityException,
    AvailabilityRule,
    Busy,
    Clinic,
    Slot,
    Treatment,
)
from chatbot.domain.slots import open_slots
from chatbot.repositories import availability, catalog, unit
from chatbot.repositories.slots_source import TimeRow, iter_time_rows
from chatbot.services.slot_search import Catalog, Key, day_bounds

REACH = dt.timedelta(hours=10)  # how far past its day a slot (+ buffer) can extend
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class DayInputs:
    """What `domain.slots.open_slots` needs for one dentist's slots on one local day. Holds
    carry their expiry, so a cache may keep these and pass a later `now`."""

    rules: list[AvailabilityRule]
    exceptions: list[AvailabilityException]
    busy: list[Busy]
    appointment_ids: frozenset[int]


def read_rows(
    conn: Connection, dentist_ids: Sequence[int], days: Sequence[dt.date], tz: ZoneInfo
) -> tuple[list[AvailabilityRule], Iterator[TimeRow]]:
    """Rules and time rows (start order, lazy) for those dentists' `days` (ascending): two
    queries."""
    rules = availability.fetch_rules(conn, dentist_ids, days[0] - 2 * DAY, days[-1] + 2 * DAY)
    lo, hi = day_bounds(days[0], tz)[0], day_bounds(days[-1], tz)[1] + REACH
    return rules, iter_time_rows(conn, dentist_ids, lo, hi)


def split_days(
    rules: Sequence[AvailabilityRule],
    rows: Iterator[TimeRow],
    dentist_ids: Sequence[int],
    days: Sequence[dt.date],
    tz: ZoneInfo,
) -> Iterator[tuple[dt.date, dict[int, DayInputs]]]:
    """Each of `days` (ascending) with every dentist's inputs that day, built lazily: rows
    (in start order) are read and turned into domain objects when the first day that needs them
    is reached, and forgotten once a day starts after their end."""
    by_rules: dict[int, list[AvailabilityRule]] = defaultdict(list)
    for rule in rules:
        by_rules[rule.dentist_id].append(rule)
    active: dict[int, list[tuple[TimeRow, AvailabilityException | Busy]]] = defaultdict(list)
    ahead: TimeRow | None = next(rows, None)
    for day in days:
        lo, hi = day_bounds(day, tz)
        reach = hi + REACH
        for dentist_id in dentist_ids:
            active[dentist_id] = [a for a in active[dentist_id] if a[0].ends_at > lo]
        while ahead is not None and ahead.starts_at < reach:
            if ahead.ends_at > lo:
                active[ahead.dentist_id].append((ahead, to_domain(ahead)))
            ahead = next(rows, None)
        yield day, {i: _inputs(by_rules[i], active[i], day) for i in dentist_ids}


def _inputs(
    rules: list[AvailabilityRule],
    live: list[tuple[TimeRow, AvailabilityException | Busy]],
    day: dt.date,
) -> DayInputs:
    return DayInputs(
        rules=[r for r in rules if r.applies_on(day)],
        exceptions=[o for _, o in live if isinstance(o, AvailabilityException)],
        busy=[o for _, o in live if isinstance(o, Busy)],
        appointment_ids=frozenset(
            r.appointment_id for r, _ in live if r.appointment_id is not None
        ),
    )


def to_domain(row: TimeRow) -> AvailabilityException | Busy:
    """The domain object of one time row."""
    if row.kind == "busy":
        return Busy(row.dentist_id, row.starts_at, row.ends_at, row.expires_at)
    off = row.kind == "off"
    return AvailabilityException(
        row.dentist_id, "off" if off else "extra", row.starts_at, row.ends_at
    )


def load_days(engine: Engine, keys: Sequence[Key], tz: ZoneInfo) -> dict[Key, DayInputs]:
    """The inputs of these (dentist, day) pairs, in one transaction of two queries."""
    ids = sorted({k[0] for k in keys})
    days = sorted({k[1] for k in keys})
    wanted = set(keys)
    with unit.transaction(engine) as conn:
        rules, rows = read_rows(conn, ids, days, tz)
        return {
            (i, day): inputs[i]
            for day, inputs in split_days(rules, rows, ids, days, tz)
            for i in ids
            if (i, day) in wanted
        }


def open_day_slots(
    dentist_id: int,
    day: dt.date,
    inputs: DayInputs,
    treatment: Treatment,
    clinic: Clinic,
    now: dt.datetime,
) -> list[Slot]:
    """One dentist's slots on one local day, before the notice/horizon cut."""
    lo, hi = day_bounds(day, clinic.tz)
    return open_slots(
        inputs.rules, inputs.exceptions, inputs.busy, treatment, clinic, lo, hi, now,
        dentist_ids=[dentist_id],
    )  # fmt: skip


class DbSlotSource:
    """The uncached `SlotSource`: five queries per search (clinic, dentists, treatments, rules,
    time rows) whatever the window; days are computed only until the search has its limit."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def catalog(self) -> Catalog:
        with unit.transaction(self._engine) as conn:
            return Catalog(
                catalog.fetch_clinic(conn),
                catalog.fetch_dentists(conn),
                catalog.fetch_treatments(conn),
            )

    def day_slots(
        self,
        dentist_ids: Sequence[int],
        days: Sequence[dt.date],
        treatment: Treatment,
        clinic: Clinic,
        now: dt.datetime,
    ) -> Iterator[list[Slot]]:
        tz = clinic.tz
        with unit.transaction(self._engine) as conn:  # open until the search has enough
            rules, rows = read_rows(conn, dentist_ids, days, tz)
            for day, inputs in split_days(rules, rows, dentist_ids, days, tz):
                yield [
                    slot
                    for dentist_id in dentist_ids
                    for slot in open_day_slots(
                        dentist_id, day, inputs[dentist_id], treatment, clinic, now
                    )
                ]
