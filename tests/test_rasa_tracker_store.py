"""Rasa's tracker store keeps conversations, never the chat's bearer tokens.

The store runs inside Rasa's own virtualenv (Python 3.10, Rasa 3.6): a small script there
saves a tracker shaped like the one a chat turn leaves (turn token in the message metadata
and in the `session_started_metadata` slot, and one pasted into the text), into the test
database's `events` table. The stock `SQLTrackerStore` is run the same way as a control, so
this test would notice if the check itself stopped seeing tokens.
"""

from __future__ import annotations

import re
import subprocess

import psycopg
import pytest
from rasa_support import RASA_PY, rasa_python_json

from chatbot.auth import Principal, issue_turn_token
from chatbot.config import REPO_ROOT
from chatbot.db import libpq_url

JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
pytestmark = pytest.mark.skipif(not RASA_PY.exists(), reason="no Rasa virtualenv")

SCRIPT = """
import asyncio, json, sys
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_ext.tracker_store import TokenFreeSQLTrackerStore

url, token, sender, kind = sys.argv[1:5]
store_class = TokenFreeSQLTrackerStore if kind == "token-free" else SQLTrackerStore
store = store_class(host=url, dialect="postgresql", domain=Domain.empty())
meta = {"token": token, "role": "patient", "patient_id": 1}
tracker = DialogueStateTracker(sender, [])
for event in (
    ActionExecuted("action_session_start"),
    SessionStarted(metadata=meta),
    SlotSet("session_started_metadata", meta),
    ActionExecuted("action_listen"),
    UserUttered("book a checkup, my token is " + token, {"name": "book_appointment"},
                metadata=meta),
):
    tracker.update(event)
asyncio.run(store.save(tracker))
back = asyncio.run(store.retrieve(sender))
print(json.dumps({"events": len(back.events), "text": back.latest_message.text}))
"""


def _save(db_url: str, token: str, sender: str, kind: str) -> dict[str, object]:
    result: dict[str, object] = rasa_python_json(
        "-c", SCRIPT, libpq_url(db_url), token, sender, kind
    )
    return result


def _rows(db_url: str, sender: str) -> list[str]:
    with psycopg.connect(libpq_url(db_url)) as conn:
        rows = conn.execute(
            "SELECT type_name || ' ' || coalesce(data, '') FROM events WHERE sender_id = %s",
            (sender,),
        ).fetchall()
    return [r[0] for r in rows]


@pytest.mark.timeout(600)
def test_no_event_row_holds_a_token(db_url: str) -> None:
    patient = Principal(sub="patient-1", role="patient", patient_id=1)
    token = issue_turn_token("tracker-test-secret-0123456789ab", patient)
    stock = _save(db_url, token, "stock-store", "stock")
    assert any(token in row for row in _rows(db_url, "stock-store"))  # the control leaks

    saved = _save(db_url, token, "patient-1", "token-free")
    rows = _rows(db_url, "patient-1")
    assert len(rows) == 5  # the conversation is kept, event for event
    assert saved["events"] == stock["events"]  # and reads back like the stock store's
    assert not [row for row in rows if token in row or JWT_SHAPE.search(row)]
    assert any('"role": "patient"' in row for row in rows)  # the rest of the metadata stays
    assert saved["text"] == "book a checkup, my token is [redacted]"


def test_endpoints_yml_as_rasa_reads_it() -> None:
    """The action server URL takes the Procfile's ACTION_PORT (Rasa expands ${...} in plain
    YAML scalars only) and the tracker store is the token-free one."""
    code = (
        "from rasa.core.utils import read_endpoints_from_path as r; e = r('endpoints.yml'); "
        "print(e.action.url, e.tracker_store.type, e.tracker_store.url)"
    )
    done = subprocess.run(
        [str(RASA_PY), "-c", code],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", "ACTION_PORT": "5999",
             "RASA_TRACKER_DB_URL": "postgresql://u:@/db?host=/tmp"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == [
        "http://127.0.0.1:5999/webhook",
        "rasa_ext.tracker_store.TokenFreeSQLTrackerStore",
        "postgresql://u:@/db?host=/tmp",
    ]


LONG_SCRIPT = """
import asyncio, json, sys
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActiveLoop, AllSlotsReset, BotUttered,
    SessionStarted, SlotSet, UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_ext.tracker_store import TokenFreeSQLTrackerStore

url, sender, turns = sys.argv[1], sys.argv[2], int(sys.argv[3])
domain = Domain.load("domain.yml")
stock = SQLTrackerStore(host=url, dialect="postgresql", domain=domain)
bounded = TokenFreeSQLTrackerStore(host=url, dialect="postgresql", domain=domain,
                                   window_events=60)
tracker = DialogueStateTracker(sender, domain.slots)
def turn(text, intent, *extra, hidden=False):
    for event in (UserUttered(text, {"name": intent}), *extra,
                  BotUttered("ok"), ActionExecuted("action_listen", hide_rule_turn=hidden)):
        tracker.update(event, domain)
for event in (ActionExecuted("action_session_start"), SessionStarted(),
              ActionExecuted("action_listen")):
    tracker.update(event, domain)
turn("book a crown", "book_appointment", SlotSet("treatment", "checkup"),
     ActionExecuted("booking_form"), ActiveLoop("booking_form"))
turn("forget it", "stop", AllSlotsReset(), ActiveLoop(None))
turn("book a filling with dr lee", "book_appointment", SlotSet("treatment", "filling"),
     SlotSet("dentist", "Dr Lee"), ActionExecuted("booking_form"), ActiveLoop("booking_form"))
for i in range(turns):  # questions in the middle of the form; `when` keeps changing
    turn(f"question {i}", "clinic_info", SlotSet("when", f"w{i}"),  # as RulePolicy logs them
         ActionExecuted("utter_clinic_info", hide_rule_turn=True),
         ActionExecuted("booking_form", hide_rule_turn=True), hidden=True)
asyncio.run(stock.save(tracker))

def memo_states(t):  # as MemoizationPolicy sees it right after the form ran (rule turn)
    t = t.copy()
    t.update(UserUttered("yes", {"name": "affirm"}), domain)
    t.update(ActionExecuted("booking_form", hide_rule_turn=True), domain)
    return len(t.past_states(domain, ignore_rule_only_turns=True))
def state(t):
    return {"events": len(t.events), "slots": t.current_slot_values(),
            "loop": t.active_loop_name, "text": t.latest_message.text,
            "states": t.past_states(domain)[-5:],
            "memo_states": memo_states(t)}
full, window = asyncio.run(stock.retrieve(sender)), asyncio.run(bounded.retrieve(sender))
before = {"stock": state(full), "bounded": state(window)}
turn_events = [UserUttered("next friday", {"name": "inform"}), SlotSet("when", "friday"),
               ActionExecuted("booking_form"), ActionExecuted("action_listen")]
for event in turn_events:
    window.update(event, domain)
asyncio.run(bounded.save(window))
after = asyncio.run(stock.retrieve(sender))
print(json.dumps({"before": before, "after": state(after)}, default=str))
"""


@pytest.mark.timeout(600)
def test_a_long_session_reads_a_bounded_window_with_the_same_state(db_url: str) -> None:
    """5,000+ events: the bounded read carries the slots, the form and the last turns the
    policies look at, and saving appends exactly the turn's events."""
    result = rasa_python_json(
        "-c", LONG_SCRIPT, libpq_url(db_url), "long-talker", "850", timeout=540
    )
    stock, bounded, after = result["before"]["stock"], result["before"]["bounded"], result["after"]
    assert stock["events"] > 5000
    assert bounded["events"] <= 60 + 5  # the window, one event per state carried, one listen
    assert bounded["slots"] == stock["slots"]
    assert stock["slots"]["treatment"] == "filling" and stock["slots"]["when"] == "w849"
    assert bounded["loop"] == stock["loop"] == "booking_form"
    assert bounded["text"] == stock["text"] == "question 849"
    assert bounded["states"] == stock["states"]
    assert bounded["memo_states"] > 0  # memoization needs one turn it may see
    assert after["events"] == stock["events"] + 4
    assert after["slots"]["when"] == "friday" and after["slots"]["dentist"] == "Dr Lee"
    assert after["loop"] == "booking_form"
