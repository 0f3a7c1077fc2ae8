"""The action server's own slot cache: offers come from it once its listener has seen every
committed event, a write made anywhere else reaches it through the outbox only, and without a
live listener the bot still answers from the database."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from bot_support import bot_db, choice, domain, next_weekday, tracker  # noqa: F401
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import Engine, text

from actions import context
from actions.booking import ActionCheckAvailability
from actions.forms import ValidateBookingForm
from actions.info import ActionEmergency
from chatbot.auth import Principal
from chatbot.live_slots import LiveSlots
from chatbot.services import booking

ADMIN = Principal(sub="admin", role="admin")


@pytest.fixture
async def live(seeded_engine: Engine, db_url: str) -> AsyncIterator[LiveSlots]:
    """The cache and listener as `actions.server` starts them, in this test's event loop."""
    slots = LiveSlots(seeded_engine, db_url, poll_interval_s=0.5)
    await slots.start(wait_ready_s=10)
    assert slots.listener.connected
    context.use_live_slots(slots)
    yield slots
    context.use_live_slots(None)
    await slots.stop()


async def offered(day: dt.date, dentist: int = 1) -> list[str]:
    """What the bot offers for "anything free <day>?" with one dentist."""
    trk = tracker(
        "anything free then?",
        "check_availability",
        slots={"dentist": str(dentist), "treatment": "checkup"},
    )
    tz = context.clinic().tz
    start = dt.datetime.combine(day, dt.time(), tz)
    trk.slots["when"] = context.encode_window(start, start + dt.timedelta(days=1))
    dispatcher = CollectingDispatcher()
    events = await ActionCheckAvailability().run(dispatcher, trk, domain())
    values = [e["value"] for e in events if e.get("name") == "offered_slots"]
    return list(values[0] or []) if values else []


def insert_appointment(engine: Engine, dentist: int, start: dt.datetime) -> int:
    """A booking no service of this process knows about: a plain SQL insert."""
    with engine.begin() as conn:
        return int(
            conn.execute(
                text(
                    "INSERT INTO appointment (dentist_id, patient_id, treatment_id, starts_at,"
                    " ends_at, blocks_until, status) SELECT :d, 2, t.id, :s,"
                    " :s + interval '30 min', :s + interval '40 min', 'scheduled'"
                    " FROM treatment t WHERE t.code = 'checkup' RETURNING id"
                ),
                {"d": dentist, "s": start},
            ).scalar_one()
        )


async def test_offers_come_from_the_cache_and_a_sql_booking_removes_the_slot(
    live: LiveSlots, seeded_engine: Engine
) -> None:
    day = next_weekday(3, 9).date()
    first = await offered(day)
    assert first and live.counters["cached"] == 1 and live.cache.stats()["misses"] > 0
    taken = dt.datetime.fromisoformat(first[0].split("|")[1])
    await asyncio.to_thread(insert_appointment, seeded_engine, 1, taken)
    # No waiting here: the search itself waits until the listener has applied the insert.
    second = await offered(day)
    assert first[0] not in second and second
    assert live.counters == {"cached": 2} and live.cache.stats()["invalidations"] > 0
    misses = live.cache.stats()["misses"]
    assert await offered(day) == second  # warm: nothing changed, nothing re-read
    assert live.cache.stats()["misses"] == misses and live.cache.stats()["hits"] > 0


async def test_a_cancel_elsewhere_brings_the_slot_back(
    live: LiveSlots, seeded_engine: Engine
) -> None:
    day = next_weekday(4, 9).date()
    start = dt.datetime.combine(day, dt.time(9), context.clinic().tz)
    doc = await asyncio.to_thread(
        booking.book,
        seeded_engine,
        ADMIN,
        patient_id=1,
        dentist_id=1,
        treatment="checkup",
        starts_at=start,
    )
    assert choice(1, start) not in await offered(day)
    await asyncio.to_thread(booking.cancel, seeded_engine, ADMIN, doc["id"])
    assert choice(1, start) in await offered(day)
    assert live.counters == {"cached": 2}


async def test_without_a_live_listener_offers_come_from_the_database(
    seeded_engine: Engine,
) -> None:
    """A listener that cannot connect (nothing listens on that port) never makes the bot
    wait or fail: searches read the database, the same answer as the cache would give."""
    down = LiveSlots(seeded_engine, "postgresql://nobody@127.0.0.1:9/none", poll_interval_s=0.5)
    await down.start(wait_ready_s=0.2)
    context.use_live_slots(down)
    try:
        assert not down.listener.connected
        day = next_weekday(3, 9).date()
        found = await offered(day)
        messages: Any = CollectingDispatcher()
        await ActionEmergency().run(messages, tracker("it hurts", "emergency"), domain())
        assert found and messages.messages[-1]["buttons"]
        assert down.counters == {"database": 2} and down.cache.stats()["entries"] == 0
    finally:
        context.use_live_slots(None)
        await down.stop()


async def test_a_stopped_listener_is_not_trusted(live: LiveSlots, seeded_engine: Engine) -> None:
    day = next_weekday(5, 9).date()
    first = await offered(day)
    await live.listener.stop()  # from now on no event reaches the cache
    taken = dt.datetime.fromisoformat(first[0].split("|")[1])
    await asyncio.to_thread(insert_appointment, seeded_engine, 1, taken)
    assert first[0] not in await offered(day)
    assert live.counters == {"cached": 1, "database": 1}


async def test_the_bot_s_own_hold_is_not_offered_again(live: LiveSlots) -> None:
    """Read-your-writes within a conversation: picking a slot holds it (a write of this very
    process); the next offer, straight after, comes from the cache and leaves it out."""
    day = next_weekday(2, 9).date()
    first = await offered(day)
    pick = tracker(
        "/choose_slot",
        "choose_slot",
        form="booking_form",
        slots={"treatment": "checkup", "dentist": "1", "requested_slot": "slot_choice"},
        set_now={"slot_choice": first[0]},
    )
    events = await ValidateBookingForm().run(CollectingDispatcher(), pick, domain())
    assert any(e.get("name") == "hold_id" and e.get("value") for e in events)
    assert first[0] not in await offered(day)
    assert live.counters == {"cached": 2}
