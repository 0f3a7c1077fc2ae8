"""A reminder sent by the running web app's scheduler, answered in chat through Rasa and the
action server: "yes, I'll be there" confirms, "can we move it to Friday?" moves, "I can't make
it" cancels, each time the appointment reminded of and never the patient's other one."""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.request
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, text
from stack import Stack, button_payloads, post_json, reply_texts

from chatbot.db import make_engine

pytestmark = pytest.mark.e2e
BERLIN = ZoneInfo("Europe/Berlin")
PATIENT = 2


def _get(stack: Stack, path: str, token: str) -> Any:
    request = urllib.request.Request(
        f"{stack.web_url}{path}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        return json.loads(resp.read())


def _book_free_slot(stack: Stack, token: str, day: dt.date) -> dict[str, Any]:
    """The first free check-up slot of dentist 2 on `day` (other tests share the stack)."""
    slots = _get(stack, f"/api/slots?dentist_id=2&treatment=checkup&from={day}&to={day}", token)
    assert slots, f"no free slot on {day}"
    body = {"dentist_id": 2, "treatment": "checkup", "starts_at": slots[0]["starts_at"]}
    return dict(post_json(f"{stack.web_url}/api/appointments", body, _auth(token)))


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _weekday(days_ahead: int, not_friday: bool = True) -> dt.date:
    day = dt.datetime.now(BERLIN).date() + dt.timedelta(days=days_ahead)
    while day.isoweekday() > 5 or (not_friday and day.isoweekday() == 5):
        day += dt.timedelta(days=1)
    return day


def _row(engine: Engine, appointment_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        return dict(
            conn.execute(
                text(
                    "SELECT a.status, a.starts_at, r.sent_at FROM appointment a"
                    " LEFT JOIN appointment_reminder r ON r.appointment_id = a.id"
                    " WHERE a.id = :id"
                ),
                {"id": appointment_id},
            )
            .mappings()
            .one()
        )


def _remind(engine: Engine, appointment_id: int) -> None:
    """Pretend it was booked two months ago, then wait for the web app's own scheduler (a
    30-day lead in this stack) to send the reminder."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE appointment_reminder SET armed_at = armed_at - interval '60 days'"
                " WHERE appointment_id = :id AND sent_at IS NULL"
            ),
            {"id": appointment_id},
        )
    deadline = time.monotonic() + 30
    while _row(engine, appointment_id)["sent_at"] is None:
        assert time.monotonic() < deadline, "the scheduler did not send the reminder"
        time.sleep(0.2)


def _reminder_events(engine: Engine, appointment_id: int) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM sync_event WHERE type = 'appointment.reminder'"
                    " AND (data->>'id')::bigint = :id"
                ),
                {"id": appointment_id},
            ).scalar_one()
        )


def test_replies_to_a_reminder_change_that_appointment(stack: Stack) -> None:
    token = stack.token("patient", PATIENT, sub="e2e-reminded")
    engine = make_engine(stack.db_url, pool_size=1)
    booked: list[dict[str, Any]] = []
    try:
        other = _book_free_slot(stack, token, _weekday(4))
        booked.append(other)
        reminded = _book_free_slot(stack, token, _weekday(9))
        booked.append(reminded)
        _remind(engine, reminded["id"])
        assert _reminder_events(engine, reminded["id"]) == 1

        replies = stack.chat("yes, I'll be there", token)
        assert "is confirmed" in reply_texts(replies), reply_texts(replies)
        assert _row(engine, reminded["id"])["status"] == "confirmed"
        assert _row(engine, other["id"])["status"] == "scheduled"

        replies = stack.chat("can we move it to Friday?", token)
        slots = button_payloads(replies, "/choose_slot")
        assert slots, reply_texts(replies)
        replies = stack.chat(slots[0], token)
        assert button_payloads(replies, "/affirm"), reply_texts(replies)
        replies = stack.chat("yes", token)
        moved = _row(engine, reminded["id"])
        assert moved["starts_at"].astimezone(BERLIN).isoweekday() == 5, reply_texts(replies)
        assert moved["sent_at"] is None  # re-armed for the new time
        assert _row(engine, other["id"])["starts_at"].isoformat() == other["starts_at"]

        _remind(engine, reminded["id"])  # reminded again, at its new time
        assert _reminder_events(engine, reminded["id"]) == 2
        replies = stack.chat("I can't make it", token)
        assert button_payloads(replies, "/affirm") and "Cancel your" in reply_texts(replies), (
            reply_texts(replies)
        )
        stack.chat("yes", token)
        assert _row(engine, reminded["id"])["status"] == "cancelled"
        assert _row(engine, other["id"])["status"] == "scheduled"
    finally:
        engine.dispose()
        for doc in booked:  # leave patient 2's calendar as the other tests found it
            post_json(f"{stack.web_url}/api/appointments/{doc['id']}/cancel", {}, _auth(token))
