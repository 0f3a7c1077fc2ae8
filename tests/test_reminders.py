"""Reminders: exactly once (restart, two instances, real races), moved by a reschedule, removed
by a cancel, no catch-up spam, all on a fake clock (dates derive from now)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from booking_support import ADMIN, weekday_at
from concurrency_support import run_together
from sqlalchemy import Engine, text
from sync_support import auth, recv, settings

from chatbot.services import booking, reminders
from sync.app import create_app
from sync.keys import REMINDERS
from sync.reminders import LogSender, ReminderScheduler

LEAD = dt.timedelta(hours=24)
MINUTE = dt.timedelta(minutes=1)


class FakeClock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class Recorder:
    """A sender that remembers what it was handed."""

    name = "recorder"

    def __init__(self) -> None:
        self.sent: list[int] = []

    async def send(self, reminder: reminders.DueReminder) -> None:
        self.sent.append(reminder.appointment["id"])


def _book(engine: Engine, starts: dt.datetime, patient: int = 1, dentist: int = 1) -> dict:
    return booking.book(
        engine, ADMIN, patient_id=patient, dentist_id=dentist, treatment="checkup", starts_at=starts
    )


def _reminder_events(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT data FROM sync_event WHERE type = 'appointment.reminder' ORDER BY id")
        )
        return [r[0] for r in rows]


def _start(doc: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(doc["starts_at"])


def _scheduler(engine: Engine, clock: FakeClock, **kw: Any) -> tuple[ReminderScheduler, Recorder]:
    recorder = Recorder()
    return ReminderScheduler(engine, lead=LEAD, senders=[recorder], clock=clock, **kw), recorder


async def test_sent_once_when_the_lead_window_opens(seeded_engine: Engine) -> None:
    doc = _book(seeded_engine, weekday_at(10, weeks_ahead=2))
    clock = FakeClock(_start(doc) - LEAD - MINUTE)
    scheduler, recorder = _scheduler(seeded_engine, clock)
    assert await scheduler.run_once() == []
    clock.now += 2 * MINUTE
    sent = await scheduler.run_once()
    assert [r.appointment["id"] for r in sent] == [doc["id"]] == recorder.sent
    assert sent[0].local_start.hour == 10 and sent[0].patient_email
    clock.now += dt.timedelta(hours=3)
    assert await scheduler.run_once() == []
    events = _reminder_events(seeded_engine)
    assert len(events) == 1 and events[0]["id"] == doc["id"]
    assert events[0]["starts_at"] == doc["starts_at"]


async def test_exactly_once_across_a_web_app_restart(
    seeded_engine: Engine, db_url: str, aiohttp_client: Any
) -> None:
    doc = _book(seeded_engine, weekday_at(11, weeks_ahead=2))
    clock = FakeClock(_start(doc) - LEAD + MINUTE)
    fast = settings(reminder_poll_s=0.1)
    first = await aiohttp_client(create_app(fast, engine=seeded_engine, db_url=db_url, clock=clock))
    ws = await first.ws_connect("/ws", headers=auth("patient", 1))
    await recv(ws)  # snapshot
    event = await recv(ws)  # the running scheduler sends it by itself
    assert event["type"] == "appointment.reminder" and event["data"]["id"] == doc["id"]
    await ws.close()
    await first.close()  # the web app stops ...

    clock.now += dt.timedelta(hours=1)  # ... and comes back later, still before the start
    second = await aiohttp_client(
        create_app(fast, engine=seeded_engine, db_url=db_url, clock=clock)
    )
    assert await second.app[REMINDERS].run_once() == []
    await asyncio.sleep(0.3)  # its own loop ran too
    assert [e["id"] for e in _reminder_events(seeded_engine)] == [doc["id"]]


async def test_two_instances_racing_send_each_reminder_once(seeded_engine: Engine) -> None:
    docs = [_book(seeded_engine, weekday_at(9 + i, weeks_ahead=2, isodow=2)) for i in range(6)]
    clock = FakeClock(max(_start(d) for d in docs) - LEAD + MINUTE)
    a, rec_a = _scheduler(seeded_engine, clock, batch=1)
    b, rec_b = _scheduler(seeded_engine, clock, batch=1)
    await asyncio.gather(*(s.run_once() for s in (a, b, a, b)))
    assert sorted(rec_a.sent + rec_b.sent) == sorted(d["id"] for d in docs)
    assert sorted(e["id"] for e in _reminder_events(seeded_engine)) == sorted(d["id"] for d in docs)


def test_claims_from_many_threads_never_overlap(seeded_engine: Engine) -> None:
    docs = [_book(seeded_engine, weekday_at(9 + i, weeks_ahead=3, isodow=4)) for i in range(8)]
    now = max(_start(d) for d in docs) - LEAD + MINUTE
    claimed: list[int] = []

    def worker(n: int, start: Callable[[], None]) -> None:
        start()
        for _ in range(4):
            got = reminders.claim_due(seeded_engine, now=now, lead=LEAD, instance=f"t{n}", limit=1)
            claimed.extend(r.appointment["id"] for r in got)

    run_together(worker, 8)
    assert sorted(claimed) == sorted(d["id"] for d in docs)
    assert len(_reminder_events(seeded_engine)) == len(docs)


async def test_a_rescheduled_appointment_is_reminded_at_its_new_time(
    seeded_engine: Engine,
) -> None:
    doc = _book(seeded_engine, weekday_at(10, weeks_ahead=2))
    clock = FakeClock(_start(doc) - LEAD + MINUTE)
    scheduler, recorder = _scheduler(seeded_engine, clock)
    assert len(await scheduler.run_once()) == 1  # reminded for the first time ...
    moved = booking.reschedule(
        seeded_engine, ADMIN, doc["id"], starts_at=weekday_at(10, weeks_ahead=3)
    )
    assert await scheduler.run_once() == []  # ... which no longer counts, but is not due yet
    clock.now = _start(moved) - LEAD - MINUTE
    assert await scheduler.run_once() == []
    clock.now += 2 * MINUTE
    assert [r.appointment["starts_at"] for r in await scheduler.run_once()] == [moved["starts_at"]]
    assert recorder.sent == [doc["id"], doc["id"]]


async def test_a_reschedule_before_the_reminder_moves_it(seeded_engine: Engine) -> None:
    doc = _book(seeded_engine, weekday_at(10, weeks_ahead=2))
    moved = booking.reschedule(
        seeded_engine, ADMIN, doc["id"], starts_at=weekday_at(14, weeks_ahead=4)
    )
    clock = FakeClock(_start(doc) - LEAD + MINUTE)  # the old time's window: nothing
    scheduler, recorder = _scheduler(seeded_engine, clock)
    assert await scheduler.run_once() == []
    clock.now = _start(moved) - LEAD + MINUTE
    assert len(await scheduler.run_once()) == 1 and recorder.sent == [doc["id"]]


async def test_a_cancelled_appointment_is_not_reminded(seeded_engine: Engine) -> None:
    doc = _book(seeded_engine, weekday_at(10, weeks_ahead=2))
    booking.cancel(seeded_engine, ADMIN, doc["id"])
    with seeded_engine.connect() as conn:
        left = conn.execute(text("SELECT count(*) FROM appointment_reminder")).scalar_one()
    assert left == 0
    scheduler, recorder = _scheduler(seeded_engine, FakeClock(_start(doc) - LEAD + MINUTE))
    assert await scheduler.run_once() == [] and recorder.sent == []


async def test_catch_up_after_downtime_skips_appointments_already_past(
    seeded_engine: Engine,
) -> None:
    early = _book(seeded_engine, weekday_at(9, weeks_ahead=2, isodow=2))
    late = _book(seeded_engine, weekday_at(10, weeks_ahead=2, isodow=3))  # the next day
    # Down from before both windows until after the first appointment started.
    clock = FakeClock(_start(early) + dt.timedelta(hours=2))
    scheduler, recorder = _scheduler(seeded_engine, clock)
    assert [r.appointment["id"] for r in await scheduler.run_once()] == [late["id"]]
    clock.now += dt.timedelta(hours=1)
    assert await scheduler.run_once() == [] and recorder.sent == [late["id"]]


async def test_booked_inside_the_lead_window_is_not_reminded(seeded_engine: Engine) -> None:
    doc = _book(seeded_engine, weekday_at(10, weeks_ahead=1))
    lead = _start(doc) - dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)  # > time left
    clock = FakeClock(_start(doc) - dt.timedelta(hours=1))
    scheduler = ReminderScheduler(seeded_engine, lead=lead, senders=[LogSender()], clock=clock)
    assert await scheduler.run_once() == []


@pytest.mark.parametrize("bad", ["http://x", "smtp://", "mailto:a@b"])
def test_bad_smtp_url_is_refused(bad: str) -> None:
    from sync.reminders import SmtpSender

    with pytest.raises(ValueError, match="APP_SMTP_URL"):
        SmtpSender(bad)
