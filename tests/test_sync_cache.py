"""The slot cache answers like the uncached service and is never stale after an event."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine
from sync_support import BERLIN, auth, future_weekday, settings

from chatbot.auth import Principal
from chatbot.db import libpq_url
from chatbot.domain.models import WeeklyHours
from chatbot.services import availability, booking
from sync.app import create_app
from sync.keys import CACHE, LISTENER

ADMIN = Principal(sub="admin", role="admin")


@pytest.fixture
async def client(seeded_engine: Engine, db_url: str, aiohttp_client: Any) -> Any:
    return await aiohttp_client(create_app(settings(), engine=seeded_engine, db_url=db_url))


async def processed(client: Any, db_url: str) -> None:
    """Wait until the listener has handled every committed event."""
    with psycopg.connect(libpq_url(db_url)) as conn:
        head = conn.execute("SELECT coalesce(max(id), 0) FROM sync_event").fetchone()[0]
    async with asyncio.timeout(10):
        while client.app[LISTENER].last_id < head:
            await asyncio.sleep(0.01)


async def slots(client: Any, day: dt.date, dentist_id: int | None = None) -> list[str]:
    q = f"?treatment=checkup&from={day.isoformat()}&to={day.isoformat()}"
    if dentist_id is not None:
        q += f"&dentist_id={dentist_id}"
    resp = await client.get(f"/api/slots{q}", headers=auth("patient", 1))
    assert resp.status == 200, await resp.text()
    return [s["starts_at"] for s in await resp.json()]


async def test_cached_slots_equal_the_service(client: Any, seeded_engine: Engine) -> None:
    day = future_weekday(3).date()
    start = dt.datetime.combine(day, dt.time(), BERLIN)
    end = start + dt.timedelta(days=3)
    q = f"?treatment=cleaning&from={start.isoformat()}&to={end.isoformat()}".replace("+", "%2B")
    for _ in range(2):  # miss, then hit
        resp = await client.get(f"/api/slots{q}", headers=auth("admin"))
        assert resp.status == 200
        got = await resp.json()
        want = availability.free_slots(seeded_engine, treatment="cleaning", start=start, end=end)
        assert got == [s.to_json() for s in want] and got
    assert client.app[CACHE].stats()["hits"] > 0


async def test_events_invalidate_exactly_the_affected_days(
    client: Any, seeded_engine: Engine, db_url: str
) -> None:
    cache = client.app[CACHE]
    day1, day2 = future_weekday(3).date(), future_weekday(6).date()
    assert day1 != day2
    before1 = await slots(client, day1, 1)
    before2 = await slots(client, day2, 1)
    await slots(client, day1, 2)  # another dentist, same day
    at = future_weekday(3, 10)
    assert at.isoformat() in before1
    doc = await asyncio.to_thread(
        booking.book,
        seeded_engine,
        ADMIN,
        patient_id=1,
        dentist_id=1,
        treatment="checkup",
        starts_at=at,
    )  # a write that bypasses this app: only the event tells the cache
    await processed(client, db_url)
    keys = set(cache._days)
    assert (1, day1) not in keys and {(1, day2), (2, day1)} <= keys  # precise
    after1 = await slots(client, day1, 1)
    assert at.isoformat() not in after1 and len(after1) < len(before1)

    moved = future_weekday(6, 14)  # reschedule to day2: day1 frees up again, day2 loses it
    await asyncio.to_thread(booking.reschedule, seeded_engine, ADMIN, doc["id"], starts_at=moved)
    await processed(client, db_url)
    assert await slots(client, day1, 1) == before1
    after2 = await slots(client, day2, 1)
    assert moved.isoformat() not in after2 and len(after2) < len(before2)

    await asyncio.to_thread(booking.cancel, seeded_engine, ADMIN, doc["id"])
    await processed(client, db_url)
    assert await slots(client, day2, 1) == before2


async def test_availability_changes_reach_the_cache(
    client: Any, seeded_engine: Engine, db_url: str
) -> None:
    day = future_weekday(4).date()
    before = await slots(client, day, 2)
    start = dt.datetime.combine(day, dt.time(8), BERLIN)
    await asyncio.to_thread(
        availability.block_time,
        seeded_engine,
        ADMIN,
        dentist_id=2,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=4),
        reason="training",
    )
    await processed(client, db_url)
    blocked = await slots(client, day, 2)
    assert blocked and min(blocked) >= dt.datetime.combine(day, dt.time(12), BERLIN).isoformat()
    assert len(blocked) < len(before)
    await asyncio.to_thread(
        availability.set_weekly_hours,
        seeded_engine,
        ADMIN,
        dentist_id=2,
        hours=[WeeklyHours(d, dt.time(13), dt.time(15)) for d in range(1, 6)],
        valid_from=dt.datetime.now(BERLIN).date(),
    )
    await processed(client, db_url)
    narrowed = await slots(client, day, 2)
    assert narrowed and all("T13:" in s or "T14:" in s for s in narrowed)


async def test_a_rest_write_is_seen_by_the_writer_s_next_slot_read(client: Any) -> None:
    """Handlers no longer touch the cache: the listener's outbox events alone make the slot a
    patient just booked (or the time a dentist just blocked) disappear from the writer's very
    next `/api/slots` answer (the handler waits until the listener has applied its commit)."""
    day = future_weekday(5).date()
    free = await slots(client, day, 1)  # warms the cache for that day
    assert free
    resp = await client.post(
        "/api/appointments",
        json={"dentist_id": 1, "treatment": "checkup", "starts_at": free[0]},
        headers=auth("patient", 1),
    )
    assert resp.status == 201, await resp.text()
    assert free[0] not in await slots(client, day, 1)
    resp = await client.post(
        "/api/dentists/1/time-off",
        json={"starts_at": free[1], "ends_at": free[-1]},
        headers=auth("dentist", 1),
    )
    assert resp.status == 201, await resp.text()
    assert free[1] not in await slots(client, day, 1)
