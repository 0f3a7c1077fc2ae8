"""The pure free-slot function with plain objects (no database)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from chatbot.domain.models import (
    AvailabilityException,
    AvailabilityRule,
    Busy,
    Clinic,
    Slot,
    Treatment,
)
from chatbot.domain.slots import first_instant, free_slots, slot_problem, wall_time_exists
from chatbot.domain.status import Status, allowed_next

BERLIN = ZoneInfo("Europe/Berlin")
CLINIC = Clinic(id=1, name="Test", timezone="Europe/Berlin", min_notice_min=0, horizon_days=365)
CHECKUP = Treatment(code="checkup", name="Check-up", duration_min=30, buffer_min=10)
MONDAY = dt.date(2027, 1, 4)
NOW = dt.datetime(2027, 1, 1, tzinfo=BERLIN)


def at(day: dt.date, hh: int, mm: int = 0, tz: ZoneInfo = BERLIN) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), tzinfo=tz)


def rule(isodow: int = 1, start: str = "09:00", end: str = "12:00", dentist_id: int = 1):
    return AvailabilityRule(
        dentist_id,
        isodow,
        dt.time.fromisoformat(start),
        dt.time.fromisoformat(end),
        dt.date(2020, 1, 1),
    )


def local_starts(slots: list[Slot], tz: ZoneInfo = BERLIN) -> list[str]:
    return [s.starts_at.astimezone(tz).strftime("%H:%M") for s in slots]


def day(rules, exceptions=(), busy=(), treatment=CHECKUP, clinic=CLINIC, on=MONDAY, now=NOW):
    return free_slots(
        rules, exceptions, busy, treatment, clinic, at(on, 0), at(on + dt.timedelta(days=1), 0), now
    )


def test_grid_aligned_to_rule_start_and_appointment_fits() -> None:
    slots = day([rule(start="09:10", end="10:30")])
    assert local_starts(slots) == ["09:10", "09:25", "09:40", "09:55"]
    assert slots[0] == Slot(1, at(MONDAY, 9, 10), at(MONDAY, 9, 40))
    assert slots[0].to_json() == {
        "dentist_id": 1,
        "starts_at": "2027-01-04T09:10:00+01:00",
        "ends_at": "2027-01-04T09:40:00+01:00",
    }


def test_buffer_may_pass_closing_but_not_busy_time() -> None:
    # 11:30-12:00 fits; its buffer runs to 12:10, after closing: allowed.
    assert local_starts(day([rule()]))[-1] == "11:30"
    busy = [Busy(1, at(MONDAY, 10), at(MONDAY, 10, 40))]
    got = local_starts(day([rule()], busy=busy))
    assert "09:30" not in got  # its buffer 10:00-10:10 would overlap
    assert "09:15" in got and "10:45" in got and "10:30" not in got


def test_rule_validity_and_weekday() -> None:
    limited = AvailabilityRule(1, 1, dt.time(9), dt.time(10), MONDAY, MONDAY)
    assert day([limited])
    assert not day([limited], on=MONDAY + dt.timedelta(days=7))
    assert not day([rule(isodow=2)])


def test_exceptions_off_subtracts_and_extra_adds() -> None:
    off = AvailabilityException(1, "off", at(MONDAY, 10), at(MONDAY, 11))
    assert local_starts(day([rule()], [off])) == [
        "09:00",
        "09:15",
        "09:30",
        "11:00",
        "11:15",
        "11:30",
    ]
    extra = AvailabilityException(1, "extra", at(MONDAY, 12), at(MONDAY, 13, 5))
    assert local_starts(day([rule()], [extra]))[-3:] == ["12:00", "12:15", "12:30"]  # merged
    sunday = MONDAY - dt.timedelta(days=1)
    sunday_extra = AvailabilityException(1, "extra", at(sunday, 8, 5), at(sunday, 9))
    assert local_starts(day([rule()], [sunday_extra], on=sunday)) == ["08:05", "08:20"]
    both = [extra, AvailabilityException(1, "off", at(MONDAY, 11), at(MONDAY, 13))]
    assert local_starts(day([rule()], both))[-1] == "10:30"  # off wins over extra


def test_min_notice_horizon_and_window() -> None:
    clinic = Clinic(id=1, name="T", timezone="Europe/Berlin", min_notice_min=60, horizon_days=3)
    now = at(MONDAY, 9, 20)
    assert local_starts(day([rule()], clinic=clinic, now=now))[0] == "10:30"
    assert not day([rule()], clinic=clinic, now=at(MONDAY, 9) - dt.timedelta(days=3))
    assert not day([rule()], clinic=clinic, now=at(MONDAY, 12))


def test_expired_hold_does_not_block() -> None:
    hold = Busy(1, at(MONDAY, 9), at(MONDAY, 9, 40), expires_at=at(MONDAY, 8))
    assert local_starts(day([rule()], busy=[hold], now=at(MONDAY, 8, 30)))[0] == "09:00"
    assert local_starts(day([rule()], busy=[hold], now=at(MONDAY, 7, 30)))[0] == "09:45"


def test_several_dentists_sorted_by_start_then_dentist() -> None:
    slots = day([rule(dentist_id=2, start="09:00"), rule(dentist_id=1, start="09:15")])
    assert [(s.dentist_id, s.starts_at.strftime("%H:%M")) for s in slots[:3]] == [
        (2, "09:00"),
        (1, "09:15"),
        (2, "09:15"),
    ]
    only = free_slots(
        [rule(dentist_id=2)],
        [],
        [],
        CHECKUP,
        CLINIC,
        at(MONDAY, 0),
        at(MONDAY, 23),
        NOW,
        dentist_ids=[1],
    )
    assert only == []


def test_spring_forward_skips_missing_local_times() -> None:
    sunday = dt.date(2027, 3, 28)  # Berlin: 02:00 -> 03:00
    night = AvailabilityRule(1, 7, dt.time(1), dt.time(4), dt.date(2020, 1, 1))
    slots = day([night], on=sunday)
    assert local_starts(slots) == ["01:00", "01:15", "01:30", "01:45", "03:00", "03:15", "03:30"]
    # 01:30 + 30 min real time = 03:00 local; the window really is 2 h long
    assert slots[2].ends_at.astimezone(BERLIN).strftime("%H:%M") == "03:00"
    assert len({s.starts_at for s in slots}) == len(slots)


def test_fall_back_gives_each_wall_time_once() -> None:
    sunday = dt.date(2027, 10, 31)  # Berlin: 03:00 -> 02:00
    night = AvailabilityRule(1, 7, dt.time(1), dt.time(4), dt.date(2020, 1, 1))
    got = local_starts(day([night], on=sunday))
    assert got == sorted(set(got))  # no repeated labels
    assert got[:4] == ["01:00", "01:15", "01:30", "01:45"] and "02:30" in got and got[-1] == "03:30"


def test_first_instant_maps_gap_to_its_end() -> None:
    gap = dt.datetime(2027, 3, 28, 2, 30)
    assert not wall_time_exists(gap, BERLIN)
    assert first_instant(gap, BERLIN) == dt.datetime(2027, 3, 28, 1, 0, tzinfo=dt.timezone.utc)
    assert first_instant(dt.datetime(2027, 10, 31, 2, 30), BERLIN) == dt.datetime(
        2027, 10, 31, 0, 30, tzinfo=dt.timezone.utc
    )


def test_slot_problem_names_the_reason() -> None:
    clinic = Clinic(id=1, name="T", timezone="Europe/Berlin", min_notice_min=60, horizon_days=30)
    now = at(MONDAY, 8)
    busy = [Busy(1, at(MONDAY, 11), at(MONDAY, 11, 40))]

    def why(start: dt.datetime):
        return slot_problem([rule()], [], busy, CHECKUP, clinic, 1, start, now)

    assert why(at(MONDAY, 10)) is None
    assert why(at(MONDAY, 7)) == "past"
    assert why(at(MONDAY, 8, 30)) == "too_soon"
    assert why(at(MONDAY, 10) + dt.timedelta(days=35)) == "too_far"
    assert why(at(MONDAY, 10, 5)) == "outside_hours"
    assert why(at(MONDAY, 12)) == "outside_hours"
    assert why(at(MONDAY, 11, 15)) == "taken"


def test_naive_times_are_rejected() -> None:
    with pytest.raises(ValueError, match="offset"):
        free_slots([rule()], [], [], CHECKUP, CLINIC, dt.datetime(2027, 1, 4), at(MONDAY, 23), NOW)


def test_status_transitions() -> None:
    assert Status.SCHEDULED.can_become("confirmed")
    assert Status.ARRIVED.can_become(Status.COMPLETED)
    assert not Status.CANCELLED.can_become("scheduled")
    assert not Status.SCHEDULED.can_become("completed")
    assert all(s.final == (s in {"completed", "no_show", "cancelled", "expired"}) for s in Status)
    assert Status.parse("teleported") is None and Status.parse("held") is Status.HELD


def test_pages_offer_only_allowed_transitions() -> None:
    assert allowed_next("scheduled") == ["confirmed", "arrived", "no_show", "cancelled"]
    assert allowed_next("arrived") == ["completed", "no_show"]
    assert allowed_next("held") == ["scheduled", "cancelled"]  # expiry is not a button
    assert allowed_next("scheduled", patient=True) == ["confirmed", "cancelled"]
    assert allowed_next("completed") == [] and allowed_next("nonsense") == []
