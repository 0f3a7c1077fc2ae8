"""Waitlist services on the real database: line order, decline and expiry pass an offer on,
accept books it, and a 50-way concurrent cancellation makes no double offer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from booking_support import ADMIN, PATIENT1, PATIENT2, outbox_max, outbox_since, weekday_at
from concurrency_support import run_together
from sqlalchemy import Engine, text
from waitlist_support import add_patients, day_window, fill, open_offers

from chatbot.errors import Forbidden, HoldExpired, InvalidInput, LimitReached, NotFound
from chatbot.services import availability, booking, waitlist
from chatbot.services.waitlist_matching import expire_offers, match_dentist

TTL = 600


def _join(engine: Engine, patient_id: int, start, end, dentist_id: int | None = 1) -> dict:
    return waitlist.join(
        engine, ADMIN, patient_id=patient_id, treatment="checkup",
        start=start, end=end, dentist_id=dentist_id,
    )  # fmt: skip


def test_first_in_line_gets_the_freed_slot_and_decline_passes_it_on(seeded_engine: Engine) -> None:
    e = seeded_engine
    start, end = weekday_at(9), weekday_at(12)
    booked = fill(e, start, end, [1], patient_id=1)
    assert match_dentist(e, 1, ttl_s=TTL) == []  # nobody waiting yet
    first = _join(e, 2, start, end)
    late = add_patients(e, 1)[0]
    second = _join(e, late, start, end)
    assert match_dentist(e, 1, ttl_s=TTL) == []  # nothing free: no offer

    mark = outbox_max(e)
    booking.cancel(e, ADMIN, booked[1]["id"], reason="moved away")
    [offer] = match_dentist(e, 1, ttl_s=TTL)
    assert (offer["waitlist_id"], offer["patient_id"]) == (first["id"], 2)
    assert offer["starts_at"] == booked[1]["starts_at"] and offer["ends_at"]
    events = [ev for ev in outbox_since(e, mark) if ev["type"] == "waitlist.offered"]
    assert [ev["data"] for ev in events] == [offer] and events[0]["patient_id"] == 2
    hold = booking.get_appointment(e, ADMIN, offer["appointment_id"])
    assert hold["status"] == "held" and hold["patient_name"] == "Ben Okafor"

    with pytest.raises(NotFound):  # not patient 1's entry
        waitlist.decline(e, PATIENT1, first["id"])
    waitlist.decline(e, PATIENT2, first["id"])
    [passed] = match_dentist(e, 1, ttl_s=TTL)
    assert passed["patient_id"] == late and passed["starts_at"] == offer["starts_at"]
    assert [x["id"] for x in waitlist.list_entries(e, PATIENT2)] == [first["id"]]  # still waiting
    with pytest.raises(NotFound):
        waitlist.accept(e, PATIENT2, first["id"])  # the offer went to the next patient

    done = waitlist.accept(e, ADMIN, second["id"])
    assert done["status"] == "scheduled" and done["patient_id"] == late
    assert [x["id"] for x in waitlist.list_entries(e, ADMIN)] == [first["id"]]


def test_unanswered_offer_expires_and_passes_on(seeded_engine: Engine) -> None:
    e = seeded_engine
    start, end = weekday_at(13), weekday_at(15)
    booked = fill(e, start, end, [1], patient_id=1)
    first, second = _join(e, 2, start, end, None), _join(e, 1, start, end, None)
    booking.cancel(e, ADMIN, booked[0]["id"])
    [offer] = match_dentist(e, 1, ttl_s=TTL)
    assert offer["waitlist_id"] == first["id"]
    assert expire_offers(e) == 0  # still running
    with e.begin() as conn:  # time passes (no sleeping in tests)
        conn.execute(
            text("UPDATE appointment SET hold_expires_at = now() - interval '1 second'"
                 " WHERE id = :id"), {"id": offer["appointment_id"]})  # fmt: skip
    assert expire_offers(e) == 1
    [passed] = match_dentist(e, 1, ttl_s=TTL)
    assert passed["waitlist_id"] == second["id"] and passed["starts_at"] == offer["starts_at"]
    with pytest.raises(HoldExpired):
        waitlist.accept(e, PATIENT2, first["id"])


def test_join_checks_input_and_limits(seeded_engine: Engine) -> None:
    e = seeded_engine
    start, end = weekday_at(9), weekday_at(17)
    with pytest.raises(NotFound):
        _join(e, 999, start, end)
    with pytest.raises(Forbidden):
        waitlist.join(e, PATIENT1, patient_id=2, treatment="checkup", start=start, end=end)
    with pytest.raises(InvalidInput):
        _join(e, 1, end, start)
    with pytest.raises(InvalidInput):  # Dr Shah does not do root canals
        waitlist.join(e, PATIENT1, patient_id=1, treatment="root_canal", start=start,
                      end=end, dentist_id=3)  # fmt: skip
    for _ in range(waitlist.MAX_WAITING_PER_PATIENT):
        _join(e, 1, start, end)
    with pytest.raises(LimitReached):
        _join(e, 1, start, end)
    mine = waitlist.list_entries(e, PATIENT1)
    waitlist.leave(e, PATIENT1, mine[0]["id"])
    assert len(waitlist.list_entries(e, PATIENT1)) == len(mine) - 1


def test_fifty_concurrent_cancellations_make_no_double_offer(seeded_engine: Engine) -> None:
    e = seeded_engine
    monday = weekday_at(9, weeks_ahead=2, isodow=1).date()
    start, end = day_window(monday, days=4)
    booked = fill(e, start, end, [1, 2, 3], patient_id=1)
    to_cancel = booked[::2][:50]  # never two neighbours: each frees exactly one slot
    assert len(to_cancel) == 50
    waiting = add_patients(e, 60)
    for patient_id in waiting:
        _join(e, patient_id, start, end, dentist_id=None)

    def cancel_and_match(i: int, start: Callable[[], None]) -> None:
        doc = to_cancel[i]
        start()
        booking.cancel(e, ADMIN, doc["id"])
        match_dentist(e, doc["dentist_id"], ttl_s=TTL)  # every process matches at once

    run_together(cancel_and_match, len(to_cancel))
    for dentist_id in (1, 2, 3):  # a pass that ran before the last cancellations committed
        match_dentist(e, dentist_id, ttl_s=TTL)

    offers = open_offers(e)
    per_patient = Counter(o["patient_id"] for o in offers)
    assert len(offers) == 50 and max(per_patient.values()) == 1
    assert len({o["appointment_id"] for o in offers}) == 50
    assert set(per_patient) <= set(waiting)
    with e.connect() as conn:
        holds = conn.execute(
            text("SELECT count(*) FROM appointment WHERE status = 'held'")
        ).scalar_one()
    assert holds == 50
    left = availability.free_slots(e, treatment="checkup", start=start, end=end)
    assert left == []  # every freed slot went to someone in line
