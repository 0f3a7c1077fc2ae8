"""The bounded tracker read (rasa_ext/window.py) against Rasa's own whole-session read, for
state that events long before the window decide (an earlier session, a restart, a slot reset,
a pause, a revert) and for a last turn longer than the window. Each conversation is 1,000+
events, so every read is windowed.

Runs in Rasa's virtualenv; both stores read the same rows of the test database.
"""

from __future__ import annotations

import pytest
from rasa_support import RASA_PY, rasa_python_json

from chatbot.db import libpq_url

pytestmark = pytest.mark.skipif(not RASA_PY.exists(), reason="no Rasa virtualenv")

SCRIPT = """
import asyncio, json, sys
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActiveLoop, AllSlotsReset, BotUttered,
    ConversationPaused, Restarted, SessionStarted, SlotSet, UserUttered,
    UserUtteranceReverted)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_ext.tracker_store import TokenFreeSQLTrackerStore

url, turns = sys.argv[1], int(sys.argv[2])
domain = Domain.load("domain.yml")
stock = SQLTrackerStore(host=url, dialect="postgresql", domain=domain)
bounded = TokenFreeSQLTrackerStore(host=url, dialect="postgresql", domain=domain,
                                   window_events=60)

def session():
    return [ActionExecuted("action_session_start"), SessionStarted(),
            ActionExecuted("action_listen")]
def turn(text, intent, *extra):
    return [UserUttered(text, {"name": intent}), *extra, BotUttered("ok"),
            ActionExecuted("action_listen")]
def questions():  # the long tail every scenario ends with: FAQ turns, nothing set
    return [e for i in range(turns) for e in turn(f"question {i}", "clinic_info",
            ActionExecuted("action_clinic_info"))]
def booking(treatment):
    return turn(f"book a {treatment}", "book_appointment", SlotSet("treatment", treatment),
                ActionExecuted("booking_form"), ActiveLoop("booking_form"))

SCENARIOS = {
    # slots and the form of the previous session are not this session's
    "earlier session": [*session(), *booking("crown"), *turn("dr lee", "inform",
        SlotSet("dentist", "Dr Lee")), *session(), *turn("friday", "inform",
        SlotSet("when", "friday")), *questions()],
    # a restart forgets everything before it, the form included
    "restart": [*session(), *booking("crown"), *turn("restart", "stop",
        Restarted()), *turn("friday", "inform", SlotSet("when", "friday")), *questions()],
    # a slot reset forgets the slots before it but not the running form
    "slot reset": [*session(), *booking("crown"), *turn("start over", "inform",
        AllSlotsReset(), SlotSet("dentist", "Dr Lee")), *questions()],
    # a human took over long ago and never handed back
    "paused": [*session(), *booking("filling"), *turn("a human please", "human_handoff",
        ConversationPaused()), *questions()],
    # the last turn alone is longer than the window: the read widens to cut at its start
    "long last turn": [*session(), *booking("crown"), *questions(), *turn("many", "inform",
        *[SlotSet("when", f"w{i}") for i in range(100)])],
    # a revert before the window: the whole session is read (a cut could resurrect a slot)
    "revert": [*session(), *booking("crown"), *turn("no", "deny",
        UserUtteranceReverted()), *questions()],
}

def state(t):
    return {"events": len(t.events), "slots": t.current_slot_values(),
            "loop": t.active_loop_name, "paused": t.is_paused(),
            "text": t.latest_message.text, "states": t.past_states(domain)[-5:]}

out = {}
for name, events in SCENARIOS.items():
    sender = name.replace(" ", "-")
    tracker = DialogueStateTracker.from_events(sender, events, domain.slots)
    asyncio.run(stock.save(tracker))
    full = asyncio.run(stock.retrieve(sender))
    window = asyncio.run(bounded.retrieve(sender))
    out[name] = {"stock": state(full), "bounded": state(window)}
print(json.dumps(out, default=str))
"""


@pytest.mark.timeout(600)
def test_state_decided_long_before_the_window_reads_as_rasa_reads_it(db_url: str) -> None:
    result = rasa_python_json("-c", SCRIPT, libpq_url(db_url), "250", timeout=540)
    for name, reads in result.items():
        stock, bounded = reads["stock"], reads["bounded"]
        assert stock["events"] > 1000, name
        for key in ("slots", "loop", "paused", "text", "states"):
            assert bounded[key] == stock[key], (name, key)
        if name == "revert":
            assert bounded["events"] == stock["events"]  # read whole
        elif name == "long last turn":
            assert 100 < bounded["events"] <= 4 * 60 + 20  # that turn, not the session
        else:
            assert bounded["events"] <= 60 + 20, name  # window + carried state + a listen
    assert result["earlier session"]["stock"]["slots"]["dentist"] is None
    assert result["earlier session"]["stock"]["slots"]["when"] == "friday"
    assert result["earlier session"]["stock"]["loop"] is None
    assert result["restart"]["stock"]["slots"]["treatment"] is None
    assert result["restart"]["stock"]["loop"] is None
    assert result["slot reset"]["stock"]["slots"]["treatment"] is None
    assert result["slot reset"]["stock"]["slots"]["dentist"] == "Dr Lee"
    assert result["slot reset"]["stock"]["loop"] == "booking_form"
    assert result["paused"]["stock"]["paused"] is True
    assert result["long last turn"]["stock"]["slots"]["when"] == "w99"
    assert result["long last turn"]["stock"]["loop"] == "booking_form"
