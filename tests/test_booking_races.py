"""Real races: many threads, each on its own pooled connection, go for overlapping slots.

Exactly one wins; every other attempt gets SlotTaken (from the slot check when the winner has
committed, from the exclusion constraint when they raced it) and nothing else.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from booking_support import ADMIN, outbox_max, outbox_since, weekday_at
from concurrency_support import run_together
from sqlalchemy import Engine, text

from chatbot import db
from chatbot.errors import SlotTaken
from chatbot.services import booking

# Overlapping inserts can deadlock (PostgreSQL's exclusion check): these tests need its deadlock
# detector, whose timer never fires under libfaketime (scripts/test.sh leaves them out there).
pytestmark = pytest.mark.real_timers

ATTEMPTS = 200
THREADS = 40


def race(attempt: Callable[[int], Any], n: int = ATTEMPTS) -> tuple[list[Any], Counter[str]]:
    """Run attempt(0..n-1) on THREADS threads released together."""
    outcomes: Counter[str] = Counter()
    wins: list[Any] = []
    by_constraint: list[int] = []
    lock = threading.Lock()

    def worker(first: int, start: Callable[[], None]) -> None:
        start()
        for i in range(first, n, THREADS):
            try:
                result = attempt(i)
            except SlotTaken as exc:
                outcome = "taken"
                if exc.__cause__ is not None:  # the exclusion constraint (not the slot check)
                    with lock:
                        by_constraint.append(i)
            except Exception as exc:  # anything else is a bug: keep its name for the assert
                outcome = type(exc).__name__ + ": " + str(exc)
            else:
                outcome = "ok"
                with lock:
                    wins.append(result)
            with lock:
                outcomes[outcome] += 1

    run_together(worker, THREADS)
    print(f"{outcomes}; {len(by_constraint)} losers stopped by the exclusion constraint")
    return wins, outcomes


def overlapping_starts(hour: int) -> list[dt.datetime]:
    """Three grid starts that pairwise overlap for a 30+10 min check-up."""
    return [weekday_at(hour, m) for m in (0, 15, 30)]


def live_rows(engine: Engine, dentist_id: int) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT id, status FROM appointment WHERE dentist_id = :d"
                " AND status NOT IN ('cancelled', 'expired')"
            ),
            {"d": dentist_id},
        ).all()


@pytest.mark.timeout(120)
def test_concurrent_bookings_exactly_one_wins(seeded_engine: Engine) -> None:
    starts = overlapping_starts(10)
    mark = outbox_max(seeded_engine)

    def attempt(i: int) -> dict:
        return booking.book(
            seeded_engine,
            ADMIN,
            patient_id=1 + i % 2,
            dentist_id=1,
            treatment="checkup",
            starts_at=starts[i % 3],
        )

    wins, outcomes = race(attempt)
    assert outcomes == Counter(ok=1, taken=ATTEMPTS - 1)
    assert [r.id for r in live_rows(seeded_engine, 1)] == [wins[0]["id"]]
    assert [e["type"] for e in outbox_since(seeded_engine, mark)] == ["appointment.created"]


@pytest.mark.timeout(120)
def test_concurrent_reschedules_into_one_slot(seeded_engine: Engine) -> None:
    # 200 appointments of dentist 2 at night (not bookable, but they exist), all moved at once
    # into overlapping day slots of dentist 1.
    with seeded_engine.begin() as conn:
        ids = (
            conn.execute(
                text(
                    "INSERT INTO appointment (dentist_id, patient_id, treatment_id, starts_at,"
                    " ends_at, blocks_until, status)"
                    " SELECT 2, 1 + g % 2, t.id, s, s + interval '30 min', s + interval '40 min',"
                    " 'scheduled' FROM generate_series(0, :n - 1) g, treatment t,"
                    " LATERAL (SELECT :base + g * interval '1 day' AS s) x WHERE t.code = 'checkup'"
                    " RETURNING id"
                ),
                {"n": ATTEMPTS, "base": weekday_at(2, weeks_ahead=30)},
            )
            .scalars()
            .all()
        )
    starts = overlapping_starts(11)
    mark = outbox_max(seeded_engine)

    def attempt(i: int) -> dict:
        return booking.reschedule(
            seeded_engine, ADMIN, ids[i], starts_at=starts[i % 3], dentist_id=1
        )

    wins, outcomes = race(attempt)
    assert outcomes == Counter(ok=1, taken=ATTEMPTS - 1)
    assert [r.id for r in live_rows(seeded_engine, 1)] == [wins[0]["id"]]
    assert len(live_rows(seeded_engine, 2)) == ATTEMPTS - 1
    assert [e["type"] for e in outbox_since(seeded_engine, mark)] == ["appointment.updated"]


@pytest.mark.timeout(120)
def test_concurrent_hold_then_confirm(seeded_engine: Engine) -> None:
    starts = overlapping_starts(14)
    mark = outbox_max(seeded_engine)

    def attempt(i: int) -> dict:
        held = booking.hold_slot(
            seeded_engine,
            ADMIN,
            patient_id=1 + i % 2,
            dentist_id=1,
            treatment="checkup",
            starts_at=starts[i % 3],
        )
        return booking.confirm_hold(seeded_engine, ADMIN, held["id"])

    wins, outcomes = race(attempt)
    assert outcomes == Counter(ok=1, taken=ATTEMPTS - 1)
    assert wins[0]["status"] == "scheduled"
    assert live_rows(seeded_engine, 1) == [(wins[0]["id"], "scheduled")]
    types = [e["type"] for e in outbox_since(seeded_engine, mark)]
    assert types == ["hold.created", "appointment.created"]


@pytest.mark.timeout(120)
def test_concurrent_confirms_of_one_hold_transition_once(seeded_engine: Engine) -> None:
    held = booking.hold_slot(
        seeded_engine,
        ADMIN,
        patient_id=1,
        dentist_id=1,
        treatment="checkup",
        starts_at=weekday_at(9),
    )
    mark = outbox_max(seeded_engine)
    wins, outcomes = race(lambda i: booking.confirm_hold(seeded_engine, ADMIN, held["id"]), n=80)
    assert outcomes == Counter(ok=80)  # confirming is idempotent
    assert {w["status"] for w in wins} == {"scheduled"}
    assert [e["type"] for e in outbox_since(seeded_engine, mark)] == ["appointment.created"]


@pytest.mark.timeout(120)
def test_exclusion_constraint_alone_stops_raw_inserts(seeded_engine: Engine, db_url: str) -> None:
    """No service checks at all: plain INSERTs from 40 connections; the database decides."""
    start_at = weekday_at(10)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def worker(i: int, start: Callable[[], None]) -> None:
        # Bounded waits: a connection that cannot be made, or an INSERT that waits on a lock
        # for longer than any real race takes, fails the test instead of hanging it.
        with psycopg.connect(
            db.libpq_url(db_url),
            autocommit=True,
            connect_timeout=30,
            options="-c statement_timeout=60000",
        ) as conn:
            start()
            try:
                conn.execute(
                    "INSERT INTO appointment (dentist_id, patient_id, treatment_id, starts_at,"
                    " ends_at, blocks_until, status) VALUES (3, 1, 1, %s, %s, %s, 'scheduled')",
                    (
                        start_at + dt.timedelta(minutes=i % 20),
                        start_at + dt.timedelta(minutes=30 + i % 20),
                        start_at + dt.timedelta(minutes=40 + i % 20),
                    ),
                )
                outcome = "ok"
            except psycopg.errors.ExclusionViolation:
                outcome = "excluded"
            except psycopg.errors.DeadlockDetected:
                # Two inserts that each find the other's uncommitted row wait for each other
                # (PostgreSQL's exclusion check, execIndexing.c); one is aborted. A refusal by
                # the database all the same (the services map it to "slot taken").
                outcome = "excluded"
        with lock:
            outcomes[outcome] += 1

    run_together(worker, THREADS)
    assert outcomes == Counter(ok=1, excluded=THREADS - 1)
