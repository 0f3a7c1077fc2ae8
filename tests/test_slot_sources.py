"""The one slot search answers the same from both sources, and both equal the pure domain
function run over the whole window's inputs (an independent path: no split into days).

Random clinic states (bookings of every length, holds live and lapsed, time off, extra hours)
and random searches (treatment, window, dentist, limit, a `now` that makes holds lapse); the
cache is kept across searches so its derived day lists and hold expiries are exercised too.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, event, text

from chatbot.domain import slots as slot_rules
from chatbot.errors import BookingError
from chatbot.repositories import catalog, unit
from chatbot.services import slot_search
from chatbot.services.availability import load_day_inputs
from chatbot.services.catalog import match_treatment
from chatbot.services.slot_days import DbSlotSource
from chatbot.services.slot_search import SlotQuery
from chatbot.slot_cache import SlotCache

UTC = dt.timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")  # the seed clinic's zone


def random_state(engine: Engine, rng: random.Random, now: dt.datetime) -> None:
    """Appointments, holds (some lapsing soon), time off and extra hours over ~3 weeks."""
    with engine.begin() as conn:
        codes = [r[0] for r in conn.execute(text("SELECT code FROM treatment"))]
        for _ in range(60):
            start = now + dt.timedelta(minutes=15 * rng.randrange(0, 4 * 24 * 21))
            held = rng.random() < 0.3
            conn.execute(
                text(
                    "INSERT INTO appointment (dentist_id, patient_id, treatment_id, starts_at,"
                    " ends_at, blocks_until, status, hold_expires_at)"
                    " SELECT :d, 1, t.id, :s, :s + make_interval(mins => t.duration_min),"
                    " :s + make_interval(mins => t.duration_min + t.buffer_min), :st, :exp"
                    " FROM treatment t WHERE t.code = :code"
                    " ON CONFLICT DO NOTHING"
                ),
                {
                    "d": rng.randint(1, 3),
                    "s": start,
                    "code": rng.choice(codes),
                    "st": "held" if held else rng.choice(["scheduled", "confirmed"]),
                    "exp": now + dt.timedelta(minutes=rng.randint(1, 600)) if held else None,
                },
            )
        for dentist in (1, 2, 3):  # a late shift over midnight, booked around midnight
            day = (now + dt.timedelta(days=rng.randint(1, 10))).astimezone(BERLIN).date()
            late = dt.datetime.combine(day, dt.time(21), BERLIN)
            conn.execute(
                text(
                    "INSERT INTO availability_exception (dentist_id, kind, starts_at, ends_at)"
                    " VALUES (:d, 'extra', :s, :s + interval '6 hours')"
                ),
                {"d": dentist, "s": late},
            )
            conn.execute(
                text(
                    "INSERT INTO appointment (dentist_id, patient_id, treatment_id, starts_at,"
                    " ends_at, blocks_until, status) SELECT :d, 2, t.id, :s,"
                    " :s + interval '15 min', :s + interval '15 min', 'scheduled'"
                    " FROM treatment t WHERE t.code = 'checkup' ON CONFLICT DO NOTHING"
                ),
                {"d": dentist, "s": late + dt.timedelta(minutes=15 * rng.randint(10, 14))},
            )
        for _ in range(8):
            start = now + dt.timedelta(minutes=30 * rng.randrange(0, 2 * 24 * 21))
            conn.execute(
                text(
                    "INSERT INTO availability_exception (dentist_id, kind, starts_at, ends_at)"
                    " VALUES (:d, :k, :s, :s + make_interval(mins => :m))"
                ),
                {
                    "d": rng.randint(1, 3),
                    "k": rng.choice(["off", "extra"]),
                    "s": start,
                    "m": rng.choice([60, 150, 600, 1440, 3000]),
                },
            )


def reference(engine: Engine, query: dict[str, Any]) -> list[Any]:
    """The pure domain search over the whole window's inputs, read in one go."""
    with unit.transaction(engine) as conn:
        clinic = catalog.fetch_clinic(conn)
        treatment = match_treatment(catalog.fetch_treatments(conn), query["treatment"])
        dentists = slot_search.offering(
            catalog.fetch_dentists(conn), treatment, query["dentist_id"]
        )
        ids = [d.id for d in dentists]
        if not ids:
            return []
        inputs = load_day_inputs(conn, ids, query["start"], query["end"])
    return slot_rules.free_slots(
        *inputs,
        treatment,
        clinic,
        query["start"],
        query["end"],
        query["now"],
        dentist_ids=ids,
        limit=min(query["limit"] or slot_search.MAX_SLOTS, slot_search.MAX_SLOTS),
    )


def outcome(fn: Any) -> Any:
    try:
        return [(s.dentist_id, s.starts_at, s.ends_at) for s in fn()]
    except BookingError as err:
        return type(err).__name__, str(err)


@pytest.mark.parametrize("seed", range(6))
async def test_both_sources_equal_the_pure_search(seeded_engine: Engine, seed: int) -> None:
    rng = random.Random(seed)
    base = dt.datetime.now(UTC).replace(second=0, microsecond=0)
    random_state(seeded_engine, rng, base)
    database, cache = DbSlotSource(seeded_engine), SlotCache(seeded_engine)
    with unit.transaction(seeded_engine) as conn:
        codes = [t.code for t in catalog.fetch_treatments(conn)]
    for _ in range(12):
        now = base + dt.timedelta(minutes=rng.choice([0, 0, 7, 95, 400]))
        start = now + dt.timedelta(minutes=rng.randrange(-120, 60 * 24 * 10, 5))
        query = {
            "treatment": rng.choice(codes),
            "start": start,
            "end": start + dt.timedelta(hours=rng.choice([3, 20, 24, 72, 24 * 9])),
            "dentist_id": rng.choice([None, None, 1, 2, 3]),
            "limit": rng.choice([None, 1, 5, 40]),
            "now": now,
        }
        want = outcome(lambda q=query: reference(seeded_engine, q))
        assert outcome(lambda q=query: slot_search.search(database, SlotQuery(**q))) == want, query
        assert outcome(lambda q=query: slot_search.search(cache, SlotQuery(**q))) == want, query
        try:
            got: Any = [
                (s.dentist_id, s.starts_at, s.ends_at)
                for s in await cache.search(SlotQuery(**query))
            ]
        except BookingError as err:
            got = type(err).__name__, str(err)
        assert got == want, query
    assert cache.stats()["slot_hits"] > 0


def test_an_uncached_90_day_search_is_five_queries(seeded_engine: Engine) -> None:
    rng = random.Random(9)
    now = dt.datetime.now(UTC)
    random_state(seeded_engine, rng, now)
    statements: list[str] = []
    event.listen(seeded_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    query = SlotQuery("checkup", now, now + dt.timedelta(days=90), now=now)
    found = slot_search.search(DbSlotSource(seeded_engine), query)
    assert len(found) == slot_search.MAX_SLOTS and len(statements) == 5
    statements.clear()
    slot_search.earliest(DbSlotSource(seeded_engine), SlotQuery("checkup", limit=3, now=now))
    assert len(statements) == 5  # the week ahead had three: the whole horizon was not needed
