"""FAQ, dentist info, emergencies and hand-off, answered from the clinic's own data."""

from __future__ import annotations

from bot_support import bot_db, rows, run, run_events, said, tracker  # noqa: F401
from sqlalchemy import Engine

from actions.info import (
    ActionClinicInfo,
    ActionDentistInfo,
    ActionEmergency,
    ActionFindDentist,
    ActionHumanHandoff,
)


def _topic(topic: str | None) -> str:
    entities = [{"entity": "topic", "value": topic}] if topic else []
    return said(run(ActionClinicInfo(), tracker("?", "clinic_info", entities=entities))[0])


def test_clinic_faq_comes_from_the_database() -> None:
    assert "08:00-18:00" in _topic("hours")
    assert "Friedrichstraße 123" in _topic("address")
    assert "Check-up €60" in _topic("prices")
    assert "statutory" in _topic("insurance")
    assert "Bright Smile Dental" in _topic(None)


def test_dentist_info_by_name_and_the_list() -> None:
    one = run(
        ActionDentistInfo(),
        tracker(
            "dr rossi?", "ask_dentist_info", entities=[{"entity": "dentist", "value": "rossi"}]
        ),
    )
    assert "Dr Marco Rossi" in said(one[0]) and "+49 30 1234 5602" in said(one[0])
    everyone = said(run(ActionDentistInfo(), tracker("who works there", "ask_dentist_info"))[0])
    assert all(name in everyone for name in ("Anna Lee", "Marco Rossi", "Priya Shah"))


def test_find_dentist_for_a_treatment() -> None:
    trk = tracker(
        "who does whitening",
        "find_dentist",
        entities=[{"entity": "treatment", "value": "whitening"}],
    )
    text = said(run(ActionFindDentist(), trk)[0])
    assert "Priya Shah" in text and "Anna Lee" in text and "Rossi" not in text


def test_find_dentist_reads_the_words_not_a_stray_entity() -> None:
    stray = tracker(
        "who can do a check up for me",
        "find_dentist",
        entities=[{"entity": "treatment", "value": "up"}],
    )
    text = said(run(ActionFindDentist(), stray)[0])
    assert "for Check-up" in text and "don't know" not in text


def test_emergency_gives_advice_and_the_earliest_slots() -> None:
    messages, slots = run(ActionEmergency(), tracker("my tooth is killing me", "emergency"))
    assert "112" in said(messages)
    assert slots["treatment"] == "emergency" and 1 <= len(slots["offered_slots"]) <= 3
    assert all('"treatment": "emergency"' in b["payload"] for b in messages[-1]["buttons"])


def test_handoff_records_a_request_for_the_verified_patient(seeded_engine: Engine) -> None:
    messages, _ = run(ActionHumanHandoff(), tracker("talk to a person", "human_handoff"))
    assert "front desk" in said(messages)
    found = rows(seeded_engine, "SELECT patient_id, sender, reason FROM handoff_request")
    assert found == [{"patient_id": 1, "sender": "test-user", "reason": "talk to a person"}]
    messages, _ = run(ActionHumanHandoff(), tracker("human", "human_handoff", auth=None))
    assert "Please sign in" in said(messages)
    assert len(rows(seeded_engine, "SELECT id FROM handoff_request")) == 1
