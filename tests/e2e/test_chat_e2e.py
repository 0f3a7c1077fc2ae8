"""A real conversation through the web app, Rasa and the action server books a real row."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from booking_support import ADMIN
from sqlalchemy import Engine, text
from stack import Stack, button_payloads, reply_texts

from chatbot.db import make_engine
from chatbot.services import availability, booking

pytestmark = pytest.mark.e2e


def _last_appointment_id(stack: Stack) -> int:
    engine = make_engine(stack.db_url, pool_size=1)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT coalesce(max(id), 0) FROM appointment")).scalar())
    finally:
        engine.dispose()


def _appointments(stack: Stack, patient_id: int, after_id: int) -> list[dict[str, Any]]:
    """The patient's appointments created after `after_id` (other tests share the stack)."""
    engine = make_engine(stack.db_url, pool_size=1)
    try:
        with engine.connect() as conn:
            found = conn.execute(
                text(
                    "SELECT dentist_id, status FROM appointment"
                    " WHERE patient_id = :p AND id > :after ORDER BY id"
                ),
                {"p": patient_id, "after": after_id},
            )
            return [dict(r._mapping) for r in found]
    finally:
        engine.dispose()


def _stored_events(stack: Stack, sender: str) -> int:
    engine = make_engine(stack.db_url, pool_size=1)
    try:
        with engine.connect() as conn:
            query = text("SELECT count(*) FROM events WHERE sender_id = :s")
            return int(conn.execute(query, {"s": sender}).scalar_one())
    finally:
        engine.dispose()


def test_patient_books_a_checkup_by_chat(stack: Stack) -> None:
    token = stack.token("patient", 1, sub="e2e-booker")
    after = _last_appointment_id(stack)
    replies = stack.chat("I'd like to book a checkup with Dr Lee next Wednesday morning", token)
    slots = button_payloads(replies, "/choose_slot")
    assert slots, reply_texts(replies)
    choice = json.loads(slots[0].removeprefix("/choose_slot"))["slot_choice"]
    assert choice.startswith("1|")
    replies = stack.chat(slots[0], token)
    assert button_payloads(replies, "/affirm"), reply_texts(replies)
    assert _appointments(stack, 1, after) == [{"dentist_id": 1, "status": "held"}]
    replies = stack.chat("yes", token)
    assert "You're booked" in reply_texts(replies)
    assert _appointments(stack, 1, after) == [{"dentist_id": 1, "status": "scheduled"}]
    assert _stored_events(stack, "e2e-booker") > 0  # the SQL tracker store kept the conversation


def test_without_a_verified_token_nothing_is_booked(stack: Stack) -> None:
    after = _last_appointment_id(stack)
    forged = {"token": "not-a-jwt", "role": "patient", "patient_id": 2}
    replies = stack.rasa_rest("intruder", "book a cleaning with anyone tomorrow", forged)
    assert "Please sign in" in reply_texts(replies)
    pick = '/choose_slot{"slot_choice": "3|2030-01-07T10:00:00+01:00"}'
    assert "Please sign in" in reply_texts(stack.rasa_rest("intruder", pick, forged))
    assert _appointments(stack, 2, after) == []


def test_dentist_blocks_time_by_chat_and_a_patient_cannot(stack: Stack) -> None:
    replies = stack.chat("block Friday 2-5pm", stack.token("dentist", 3, sub="e2e-dentist"))
    assert "Blocked" in reply_texts(replies), reply_texts(replies)
    replies = stack.chat("block Friday 2-5pm", stack.token("patient", 2, sub="e2e-not-a-dentist"))
    assert "only dentists" in reply_texts(replies)


def test_correction_mid_form_then_cancel_with_confirmation(stack: Stack) -> None:
    token = stack.token("patient", 2, sub="e2e-corrector")
    after = _last_appointment_id(stack)
    replies = stack.chat("book a cleaning with dr shah next monday", token)
    first = button_payloads(replies, "/choose_slot")
    assert first, reply_texts(replies)
    replies = stack.chat(first[0], token)
    assert "Shall I book" in reply_texts(replies), reply_texts(replies)
    replies = stack.chat("no, make it thursday", token)
    thursday = button_payloads(replies, "/choose_slot")
    assert thursday, reply_texts(replies)
    start = json.loads(thursday[0].removeprefix("/choose_slot"))["slot_choice"].split("|")[1]
    assert dt.datetime.fromisoformat(start).isoweekday() == 4
    assert _appointments(stack, 2, after) == [
        {"dentist_id": 3, "status": "cancelled"}
    ]  # hold freed
    stack.chat(thursday[0], token)
    assert "You're booked" in reply_texts(stack.chat("yes", token))
    replies = stack.chat("i need to cancel my appointment", token)
    assert "Cancel your Professional cleaning" in reply_texts(replies), reply_texts(replies)
    assert "is cancelled" in reply_texts(stack.chat("yes", token))
    assert [a["status"] for a in _appointments(stack, 2, after)] == ["cancelled", "cancelled"]


def test_patient_cancels_all_their_appointments_in_one_go(stack: Stack) -> None:
    """Two upcoming appointments of a patient of this test only; one message names them all,
    one question lists them, one "yes" cancels both and nothing of anyone else."""
    engine = make_engine(stack.db_url, pool_size=1)
    try:
        with engine.begin() as conn:
            patient = int(
                conn.execute(
                    text("INSERT INTO patient (name) VALUES ('Everything Off') RETURNING id")
                ).scalar_one()
            )
        start = dt.datetime.now(dt.UTC) + dt.timedelta(days=14)
        free = availability.free_slots(
            engine,
            treatment="checkup",
            start=start,
            end=start + dt.timedelta(days=14),
            dentist_id=3,
        )
        days = {slot.starts_at.date(): slot for slot in free}
        picked = list(days.values())[:2]
        assert len(picked) == 2, "dentist 3 has no two free days in the fortnight"
        ids = [
            booking.book(
                engine,
                ADMIN,
                patient_id=patient,
                dentist_id=3,
                treatment="checkup",
                starts_at=slot.starts_at,
            )["id"]
            for slot in picked
        ]
        others = _live_count(engine, exclude_patient=patient)
        token = stack.token("patient", patient, sub="e2e-cancel-all")
        replies = stack.chat("could you cancel all of my upcoming visits", token)
        assert "Cancel all of these?" in reply_texts(replies), reply_texts(replies)
        replies = stack.chat("yes", token)
        assert "Done: 2 appointments cancelled." in reply_texts(replies), reply_texts(replies)
        with engine.connect() as conn:
            statuses = conn.execute(
                text("SELECT status FROM appointment WHERE id = ANY(:ids)"), {"ids": ids}
            ).scalars()
            assert set(statuses) == {"cancelled"}
        assert _live_count(engine, exclude_patient=patient) == others
    finally:
        engine.dispose()


def _live_count(engine: Engine, *, exclude_patient: int) -> int:
    with engine.connect() as conn:
        query = text(
            "SELECT count(*) FROM appointment WHERE patient_id <> :p"
            " AND status NOT IN ('cancelled', 'expired')"
        )
        return int(conn.execute(query, {"p": exclude_patient}).scalar_one())
