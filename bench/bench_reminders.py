"""Reminder scheduler: claim throughput with two racing instances, and the cost of an idle poll.

N appointments are all due at once (as after a long outage); two `ReminderScheduler`s with a
no-op sender race over them (batch 100, the default). Prints reminders/s, per-claim latency
percentiles, and checks that every reminder went out exactly once (a count, not a timing).
Then the poll every instance runs every APP_REMINDER_POLL_S seconds, with nothing due.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import time

from common import machine, pct, scratch_database, seed_clinic, summary
from sqlalchemy import Engine, text

from chatbot.db import make_engine
from chatbot.services import reminders
from chatbot.services.reminders import DueReminder
from sync.reminders import ReminderScheduler

LEAD = dt.timedelta(days=30)


class NoOpSender:
    name = "noop"

    def __init__(self) -> None:
        self.sent = 0

    async def send(self, reminder: DueReminder) -> None:
        self.sent += 1


def insert_due(engine: Engine, n: int, dentists: int) -> None:
    """`n` booked appointments over the next days, booked "long ago" so all are due now."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO appointment (dentist_id, patient_id, treatment_id, starts_at,"
                " ends_at, blocks_until, status)"
                " SELECT 1 + g % :d, 1 + g % 2, t.id,"
                "  date_trunc('hour', now()) + interval '1 day' + (g / :d) * interval '30 min',"
                "  date_trunc('hour', now()) + interval '1 day' + (g / :d) * interval '30 min'"
                "   + interval '20 min',"
                "  date_trunc('hour', now()) + interval '1 day' + (g / :d) * interval '30 min'"
                "   + interval '20 min', 'scheduled'"
                " FROM generate_series(0, CAST(:n AS int) - 1) g, treatment t"
                " WHERE t.code = 'checkup'"
            ),
            {"n": n, "d": dentists},
        )
        conn.execute(
            text("UPDATE appointment_reminder SET armed_at = armed_at - interval '60 days'")
        )


def claim_latencies(engine: Engine, rounds: int) -> list[float]:
    out = []
    now = dt.datetime.now(dt.timezone.utc)
    for _ in range(rounds):
        started = time.perf_counter()
        reminders.claim_due(engine, now=now, lead=LEAD, instance="bench", limit=100)
        out.append((time.perf_counter() - started) * 1000)
    return out


async def race(engine: Engine, batch: int) -> tuple[float, list[int], list[float]]:
    senders = [NoOpSender(), NoOpSender()]
    schedulers = [ReminderScheduler(engine, lead=LEAD, senders=[s], batch=batch) for s in senders]
    batches: list[float] = []

    async def timed(s: ReminderScheduler) -> None:
        while True:
            started = time.perf_counter()
            got = await asyncio.to_thread(
                reminders.claim_due,
                engine,
                now=s.clock(),
                lead=LEAD,
                instance=s.instance,
                limit=batch,
            )
            batches.append((time.perf_counter() - started) * 1000)
            for r in got:
                for sender in s.senders:
                    await sender.send(r)
            if not got:
                return

    started = time.perf_counter()
    await asyncio.gather(*(timed(s) for s in schedulers))
    return time.perf_counter() - started, [s.sent for s in senders], batches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    with scratch_database("bench_reminders") as url:
        seed_clinic(url, dentists=20, patients=2)
        engine = make_engine(url, pool_size=4)
        insert_due(engine, args.reminders, 20)
        print(f"# {args.reminders} reminders due at once, 2 instances, batch {args.batch}, "
              f"{machine()}, load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        seconds, per_instance, batches = asyncio.run(race(engine, args.batch))
        with engine.connect() as conn:
            events = conn.execute(
                text(
                    "SELECT count(*), count(DISTINCT data->>'id') FROM sync_event"
                    " WHERE type = 'appointment.reminder'"
                )
            ).one()
        once = events[0] == events[1] == sum(per_instance) == args.reminders
        print(
            f"sent {sum(per_instance)} in {seconds:.2f} s = {sum(per_instance) / seconds:.0f}"
            f" reminders/s; split {per_instance[0]}/{per_instance[1]}; outbox events"
            f" {events[0]} for {events[1]} appointments (exactly once: {once})"
        )
        print(summary(f"claim of up to {args.batch} (+ outbox rows)", batches))
        idle = claim_latencies(engine, 200)
        print(summary("idle poll (nothing due)", idle))
        print(f"idle poll p95/p50 = {pct(idle, 95) / pct(idle, 50):.2f}")
        engine.dispose()


if __name__ == "__main__":
    main()
