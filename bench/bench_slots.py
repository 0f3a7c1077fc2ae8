"""Free-slot search over 90 days for 20 dentists with 5,000 existing appointments.

    .venv/bin/python bench/bench_slots.py [--dentists 20] [--appointments 5000] [--rounds 20]

Both through the one search, `chatbot.services.slot_search` (at most MAX_SLOTS per answer).
Uncached: the `DbSlotSource` (`availability.free_slots`; what the action server falls back to).
Cached: `SlotCache.search` (what `GET /api/slots` and the action server's warm path serve),
warm, cold, and right after one booking's invalidation. Realistic cases, both ways: the first
10 free slots over 90 days for any of 20 dentists (what the bot offers), and every slot of one
day for all dentists (a day view). SQL statements per search are counted with a SQLAlchemy
`before_cursor_execute` listener. Targets: p95 < 50 ms, <= 5 queries per search.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from common import BERLIN, machine, scratch_database, seed_clinic, summary, weekdays_from
from sqlalchemy import Engine, event, text

from chatbot.db import make_engine
from chatbot.events import Event
from chatbot.services import availability, slot_search
from chatbot.services.slot_search import SlotQuery
from chatbot.slot_cache import SlotCache

UTC = dt.timezone.utc
DAYS = 90


class QueryCounter:
    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._hit)

    def _hit(self, *_: Any) -> None:
        self.count += 1


def add_appointments(engine: Engine, n: int, dentists: int) -> None:
    """`n` non-overlapping check-ups spread over the next 90 days' weekdays, all dentists."""
    rng = random.Random(7)
    today = dt.datetime.now(BERLIN).date()
    days = weekdays_from(today + dt.timedelta(days=1), 62)
    grid = [(d, day, q) for d in range(1, dentists + 1) for day in days for q in range(0, 36, 3)]
    rows = []
    for dentist, day, q in rng.sample(grid, n):  # quarter-hours 08:00 + q*15 min, 45 min apart
        start = dt.datetime.combine(day, dt.time(8), BERLIN) + dt.timedelta(minutes=15 * q)
        rows.append({"d": dentist, "p": rng.randint(1, 200), "s": start.astimezone(UTC)})
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO appointment (dentist_id, patient_id, treatment_id, starts_at,"
                " ends_at, blocks_until, status)"
                " SELECT :d, :p, t.id, :s, :s + interval '30 min', :s + interval '40 min',"
                " 'scheduled' FROM treatment t WHERE t.code = 'checkup'"
            ),
            rows,
        )


class Timed(NamedTuple):
    times: list[float]  # wall ms per search
    queries: int  # SQL statements of the last search
    cpu_ms: float  # this process's CPU per search (median): what a quiet box would not add to


def timed(fn: Callable[[], Any], counter: QueryCounter, rounds: int) -> Timed:
    times, cpu, queries = [], [], 0
    for _ in range(rounds):
        before = counter.count
        started, cpu_started = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        queries = counter.count - before
    return Timed(times, queries, statistics.median(cpu))


def booking_event(dentist_id: int, start: dt.datetime) -> Event:
    data = {"id": 10**9, "starts_at": start.isoformat(),
            "ends_at": (start + dt.timedelta(minutes=30)).isoformat()}  # fmt: skip
    return Event(10**9, "appointment.created", start, dentist_id, 1, data)


def run(url: str, args: argparse.Namespace) -> None:
    seed_clinic(url, args.dentists, 200)
    engine = make_engine(url, pool_size=5)
    add_appointments(engine, args.appointments, args.dentists)
    counter = QueryCounter(engine)
    now = dt.datetime.now(UTC)
    end = now + dt.timedelta(days=DAYS)
    print(f"# {args.dentists} dentists, {args.appointments} appointments, {DAYS} days, {machine()}")

    def all_dentists() -> list[Any]:
        return availability.free_slots(engine, treatment="checkup", start=now, end=end, now=now)

    def one_dentist() -> list[Any]:
        return availability.free_slots(
            engine, treatment="checkup", start=now, end=end, dentist_id=5, now=now
        )

    def two_weeks() -> list[Any]:  # GET /api/slots' default window
        return availability.free_slots(
            engine, treatment="checkup", start=now, end=now + dt.timedelta(days=14), now=now
        )

    def first_ten() -> list[Any]:
        return availability.free_slots(
            engine, treatment="checkup", start=now, end=end, limit=10, now=now
        )

    day = weekdays_from(now.astimezone(BERLIN).date() + dt.timedelta(days=3), 1)[0]
    day_start = dt.datetime.combine(day, dt.time(), BERLIN)
    day_end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), BERLIN)

    def one_day() -> list[Any]:
        return availability.free_slots(
            engine, treatment="checkup", start=day_start, end=day_end, now=now
        )

    found = len(all_dentists())
    for name, fn in (
        ("uncached, all dentists, 90 d", all_dentists),
        ("uncached, one dentist, 90 d", one_dentist),
        ("uncached, all dentists, 14 d", two_weeks),
        ("uncached, first 10, all dentists, 90 d", first_ten),
        (f"uncached, one day ({day}), all dentists", one_day),
    ):
        times, queries, cpu = timed(fn, counter, args.rounds)
        print(summary(name, times) + f"  cpu p50={cpu:.1f} ms  queries/search={queries}")
    print(f"{'':<44} slots returned (capped at {slot_search.MAX_SLOTS}): {found}")

    cache = SlotCache(engine)
    loop = asyncio.new_event_loop()

    def cached(
        dentist_id: int | None = None,
        limit: int | None = None,
        window: tuple[dt.datetime, dt.datetime] = (now, end),
    ) -> Callable[[], Any]:
        start, stop = window
        query = SlotQuery("checkup", start, stop, dentist_id, limit, now)
        return lambda: loop.run_until_complete(cache.search(query))

    cold, cold_q, _ = timed(cached(), counter, 1)
    print(summary("cached, cold (first search loads 90 d)", cold) + f"  queries={cold_q}")
    for offset in range(0, DAYS, 7):  # derive every day of the 90 (the limit stops a search early)
        week = now + dt.timedelta(days=offset)
        loop.run_until_complete(
            cache.search(SlotQuery("checkup", week, week + dt.timedelta(days=7), now=now))
        )
    for name, fn in (
        ("cached, warm, all dentists, 90 d", cached()),
        ("cached, warm, one dentist, 90 d", cached(5)),
        ("cached, warm, first 10, all dentists, 90 d", cached(limit=10)),
        (f"cached, warm, one day ({day}), all dentists", cached(window=(day_start, day_end))),
    ):
        times, queries, cpu = timed(fn, counter, args.rounds)
        print(summary(name, times) + f"  cpu p50={cpu:.1f} ms  queries/search={queries}")

    after: list[float] = []
    after_q = 0
    for i in range(args.rounds):  # one booking event for dentist 5 → that day reloads
        day = weekdays_from(now.date() + dt.timedelta(days=2 + i % 60), 1)[0]
        cache.apply([booking_event(5, dt.datetime.combine(day, dt.time(9), BERLIN))])
        t, after_q, _ = timed(cached(), counter, 1)
        after += t
    print(summary("cached, all dentists, after a booking event", after) + f"  queries={after_q}")
    loop.close()
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dentists", type=int, default=20)
    parser.add_argument("--appointments", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with scratch_database("bench_slots") as url:
        run(url, args)


if __name__ == "__main__":
    main()
