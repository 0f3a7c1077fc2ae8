"""Per-patient limits in the booking services: what a patient (or the bot for one) may hold and
book, enforced on committed counts under a row lock, so parallel requests cannot overshoot."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from booking_support import ADMIN, BOT, DENTIST1, PATIENT1, weekday_at
from sqlalchemy import Engine, text

from chatbot.auth import Principal, issue_turn_token, verify_token
from chatbot.config import PatientLimits
from chatbot.errors import BookingError, LimitReached
from chatbot.services import booking

LIMITS = PatientLimits(live_holds=2, future_appointments=8)  # the documented defaults


def _hold(engine: Engine, who: Principal, hour: int, *, weeks: int = 2, isodow: int = 3) -> Any:
    return booking.hold_slot(
        engine,
        who,
        patient_id=1,
        dentist_id=1,
        treatment="checkup",
        starts_at=weekday_at(hour, weeks_ahead=weeks, isodow=isodow),
        limits=LIMITS,
    )


def _book(engine: Engine, who: Principal, hour: int, *, weeks: int, isodow: int = 3) -> Any:
    return booking.book(
        engine,
        who,
        patient_id=1,
        dentist_id=1,
        treatment="checkup",
        starts_at=weekday_at(hour, weeks_ahead=weeks, isodow=isodow),
        limits=LIMITS,
    )


def _rows(engine: Engine, status: str) -> int:
    with engine.connect() as conn:
        query = text("SELECT count(*) FROM appointment WHERE patient_id = 1 AND status = :s")
        return int(conn.execute(query, {"s": status}).scalar_one())


def test_a_third_live_hold_is_refused_until_one_is_released(seeded_engine: Engine) -> None:
    first = _hold(seeded_engine, PATIENT1, 9)
    _hold(seeded_engine, PATIENT1, 10)
    with pytest.raises(LimitReached) as refused:
        _hold(seeded_engine, PATIENT1, 11)
    assert refused.value.code == "limit_reached" and refused.value.http_status == 409
    assert _rows(seeded_engine, "held") == 2
    booking.release_hold(seeded_engine, PATIENT1, first["id"])
    assert _hold(seeded_engine, PATIENT1, 11)["status"] == "held"


def test_expired_holds_do_not_count(seeded_engine: Engine) -> None:
    for hour in (9, 10):
        _hold(seeded_engine, PATIENT1, hour)
    with seeded_engine.begin() as conn:
        conn.execute(text("UPDATE appointment SET hold_expires_at = now() - interval '1 s'"))
    assert _hold(seeded_engine, PATIENT1, 11)["status"] == "held"


def test_a_ninth_future_appointment_is_refused_holds_included(seeded_engine: Engine) -> None:
    for hour in range(9, 16):  # 7 bookings
        _book(seeded_engine, PATIENT1, hour, weeks=3)
    _hold(seeded_engine, PATIENT1, 9, weeks=4)  # the 8th: a hold about to become a booking
    with pytest.raises(LimitReached):
        _book(seeded_engine, PATIENT1, 10, weeks=4)
    with pytest.raises(LimitReached):
        _hold(seeded_engine, PATIENT1, 11, weeks=4)
    assert (_rows(seeded_engine, "scheduled"), _rows(seeded_engine, "held")) == (7, 1)
    # Past appointments do not count: move one into the past and there is room again.
    with seeded_engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE appointment SET starts_at = starts_at - interval '60 days',"
                " ends_at = ends_at - interval '60 days',"
                " blocks_until = blocks_until - interval '60 days'"
                " WHERE id = (SELECT min(id) FROM appointment WHERE status = 'scheduled')"
            )
        )
    assert _book(seeded_engine, PATIENT1, 10, weeks=4)["status"] == "scheduled"


def test_clinic_staff_are_not_limited(seeded_engine: Engine) -> None:
    for hour in (9, 10, 11, 12):
        _hold(seeded_engine, ADMIN, hour)
    assert _rows(seeded_engine, "held") == 4
    dentist_hold = booking.hold_slot(
        seeded_engine,
        DENTIST1,
        patient_id=1,
        dentist_id=1,
        treatment="checkup",
        starts_at=weekday_at(13),
        limits=LIMITS,
    )
    assert dentist_hold["status"] == "held"
    with pytest.raises(LimitReached):
        _hold(seeded_engine, PATIENT1, 14)


def test_the_chat_path_gets_the_same_limit(seeded_engine: Engine) -> None:
    """The action server acts as the caller proven by the turn token (`actions.context`), and
    the bot's own service role for one patient is limited like that patient."""
    secret = "limits-test-secret-0123456789abcdef"
    from_chat = verify_token(secret, issue_turn_token(secret, PATIENT1), audience="actions")
    _hold(seeded_engine, from_chat, 9)
    _hold(seeded_engine, BOT, 10)
    for who in (from_chat, BOT):
        with pytest.raises(LimitReached):
            _hold(seeded_engine, who, 11)


@pytest.mark.timeout(120)
def test_parallel_holds_of_one_patient_never_exceed_the_limit(seeded_engine: Engine) -> None:
    """40 holds on 40 distinct free slots (hourly, two weeks of weekdays), 20 threads at once."""
    slots = [(w, d, h) for w in (2, 3) for d in range(1, 6) for h in range(9, 13)]

    def attempt(slot: tuple[int, int, int]) -> str:
        week, isodow, hour = slot
        try:
            _hold(seeded_engine, PATIENT1, hour, weeks=week, isodow=isodow)
        except BookingError as exc:
            return exc.code
        return "held"

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = Counter(pool.map(attempt, slots))
    assert outcomes == Counter(held=2, limit_reached=len(slots) - 2)
    assert _rows(seeded_engine, "held") == 2
