"""Bounded turns on the real stack: a conversation 5,000 events long still books (the form
started and the slots filled thousands of events ago carry over into the bounded window Rasa
reads, rasa_ext/window.py), and Rasa skips a turn that reaches it after its deadline."""

from __future__ import annotations

import json
import time
import urllib.error

import pytest
from stack import Stack, button_payloads, post_json, reply_texts
from test_chat_e2e import _appointments, _last_appointment_id, _stored_events

pytestmark = pytest.mark.e2e


def test_booking_form_survives_five_thousand_events(stack: Stack) -> None:
    sender = "e2e-long-talker"
    token = stack.token("patient", 1, sub=sender)
    after = _last_appointment_id(stack)
    replies = stack.chat("book a cleaning with dr shah next tuesday", token)
    offers = button_payloads(replies, "/choose_slot")
    assert offers, reply_texts(replies)
    before_question = stack.last_event_id()
    replies = stack.chat("what are your opening hours?", token)  # a question mid-form
    assert reply_texts(replies), replies
    assert stack.repeat_events(sender, before_question, 5000) >= 5000

    replies = stack.chat(offers[0], token)  # the form, its treatment and dentist: 5,000 back
    assert "Shall I book" in reply_texts(replies) and "cleaning" in reply_texts(replies), (
        reply_texts(replies)
    )
    choice = json.loads(offers[0].removeprefix("/choose_slot"))["slot_choice"]
    assert choice.startswith("3|")
    assert "You're booked" in reply_texts(stack.chat("yes", token))
    assert _appointments(stack, 1, after) == [{"dentist_id": 3, "status": "scheduled"}]
    assert _stored_events(stack, sender) > 5000  # every turn is still kept, event for event


def test_rasa_skips_a_turn_whose_deadline_has_passed(stack: Stack) -> None:
    """What the gateway relies on: past X-Turn-Deadline, Rasa refuses before processing (so
    nothing is stored); before it, the same turn is answered."""
    sender = "e2e-late-caller"
    body = {"sender": sender, "message": "hello", "metadata": {}}
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    with pytest.raises(urllib.error.HTTPError) as refused:
        post_json(url, body, {"X-Turn-Deadline": f"{time.time() - 0.5:.3f}"})
    assert refused.value.code == 503
    assert json.loads(refused.value.read())["error"] == "turn_deadline_passed"
    assert _stored_events(stack, sender) == 0
    replies = post_json(url, body, {"X-Turn-Deadline": f"{time.time() + 30:.3f}"})
    assert reply_texts(replies), replies
    assert _stored_events(stack, sender) > 0
