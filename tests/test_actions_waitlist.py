"""Chat commands of the waitlist and of undoing time off, on the real database."""

from __future__ import annotations

import datetime as dt

from booking_support import DENTIST1
from bot_support import bot_db, next_weekday, rows, run, said, tracker  # noqa: F401
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import Engine

from actions import context
from actions.dentist import ActionDentistUnblockTime
from actions.offers import offer
from actions.waitlist import ActionJoinWaitlist
from chatbot.services import availability


def _entries(engine: Engine) -> list[dict]:
    return rows(
        engine,
        "SELECT e.patient_id, e.dentist_id, t.code, e.window_start, e.window_end"
        " FROM waitlist_entry e JOIN treatment t ON t.id = e.treatment_id",
    )


def test_join_waitlist_for_tuesday_morning_with_dr_lee(seeded_engine: Engine) -> None:
    text = "put me on the waitlist for next tuesday morning with dr lee"
    lee = [{"entity": "dentist", "value": "dr lee"}]
    messages, _ = run(ActionJoinWaitlist(), tracker(text, "join_waitlist", entities=lee))
    [entry] = _entries(seeded_engine)
    tz = context.clinic().tz
    start = entry["window_start"].astimezone(tz)
    assert (entry["patient_id"], entry["dentist_id"], entry["code"]) == (1, 1, "checkup")
    assert start.isoweekday() == 2 and start.hour < 12, said(messages)
    assert entry["window_end"].astimezone(tz).hour <= 12
    assert "waitlist" in said(messages) and "Dr Anna Lee" in said(messages)


def test_join_waitlist_is_for_patients(seeded_engine: Engine) -> None:
    messages, _ = run(ActionJoinWaitlist(), tracker("add me to the waitlist", "join_waitlist",
                                                    auth="dentist-1"))  # fmt: skip
    assert _entries(seeded_engine) == [] and "patients" in said(messages)


def test_nothing_found_offers_the_waitlist() -> None:
    dispatcher = CollectingDispatcher()
    assert offer(dispatcher, [], dt.timezone.utc, intro="x", treatment="cleaning") == []
    [button] = dispatcher.messages[0]["buttons"]
    assert button["payload"].startswith("/join_waitlist") and "cleaning" in button["payload"]


def test_unblock_an_afternoon_keeps_the_morning(seeded_engine: Engine) -> None:
    friday = next_weekday(5, 0)
    availability.block_time(
        seeded_engine, DENTIST1, dentist_id=1, starts_at=friday + dt.timedelta(hours=8),
        ends_at=friday + dt.timedelta(hours=18), reason="course",
    )  # fmt: skip
    text = f"unblock {friday:%A %d %B} afternoon".replace(" 0", " ")
    messages, _ = run(ActionDentistUnblockTime(), tracker(text, "dentist_unblock_time",
                                                          auth="dentist-1"))  # fmt: skip
    assert "open for bookings again" in said(messages)
    tz = context.clinic().tz
    left = rows(seeded_engine, "SELECT starts_at, ends_at, reason FROM availability_exception"
                " ORDER BY starts_at")  # fmt: skip
    spans = [(r["starts_at"].astimezone(tz).hour, r["ends_at"].astimezone(tz).hour) for r in left]
    assert spans == [(8, 12), (17, 18)] and {r["reason"] for r in left} == {"course"}


def test_unblock_when_nothing_is_blocked(seeded_engine: Engine) -> None:
    unblock = ActionDentistUnblockTime()
    trk = tracker("remove my block tomorrow", "dentist_unblock_time", auth="dentist-2")
    assert "no time off" in said(run(unblock, trk)[0])
    run(unblock, tracker("unblock friday", "dentist_unblock_time", auth="patient-1"))
    assert rows(seeded_engine, "SELECT id FROM availability_exception") == []
