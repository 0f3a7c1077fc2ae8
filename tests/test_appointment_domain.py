"""The appointment's own rules with plain objects (no database): which changes each status
allows, what they write, and which error (with the message users see) refuses the rest."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from chatbot.domain.appointment import Appointment, Change, settable_status
from chatbot.domain.status import SETTABLE, Status
from chatbot.errors import Forbidden, HoldExpired, IllegalTransition, InvalidInput, SlotTaken

UTC = dt.timezone.utc
# Fixed instants far from today: the rules must use the `now` they are given, not the clock.
STARTS = dt.datetime(2001, 3, 5, 9, 0, tzinfo=UTC)
BEFORE = STARTS - dt.timedelta(minutes=1)
AFTER = STARTS + dt.timedelta(minutes=1)
S = Status

# Written out by hand (not read from domain.status) so a change to the table shows up here.
ALLOWED = {
    S.HELD: {S.SCHEDULED, S.CANCELLED, S.EXPIRED},
    S.SCHEDULED: {S.CONFIRMED, S.ARRIVED, S.NO_SHOW, S.CANCELLED},
    S.CONFIRMED: {S.SCHEDULED, S.ARRIVED, S.NO_SHOW, S.CANCELLED},
    S.ARRIVED: {S.COMPLETED, S.NO_SHOW},
    S.COMPLETED: set(),
    S.NO_SHOW: set(),
    S.CANCELLED: set(),
    S.EXPIRED: set(),
}


def appt(status: Status, *, notes: str = "", hold_expired: bool = False) -> Appointment:
    doc = {"id": 7, "status": status.value, "notes": notes}
    return Appointment(
        id=7,
        dentist_id=2,
        patient_id=3,
        treatment="checkup",
        status=status,
        starts_at=STARTS,
        hold_expired=hold_expired,
        notes=notes,
        doc=doc,
    )


def test_the_status_table_is_the_one_written_here() -> None:
    assert {s: set(s.next) for s in Status} == ALLOWED


@pytest.mark.parametrize("current", list(Status))
@pytest.mark.parametrize("new", sorted(SETTABLE))
def test_staff_set_status_follows_the_table(current: Status, new: Status) -> None:
    a = appt(current)
    if new is current:
        assert a.set_status(new, patient_scoped=False, now=AFTER) is None
    elif new in ALLOWED[current]:
        change = a.set_status(new.value, patient_scoped=False, now=AFTER)
        assert change is not None and change.status is new
        # A hold becomes a booking only through confirmation, which ends its expiry.
        assert change.ends_hold == (current is S.HELD and new is S.SCHEDULED)
    else:
        with pytest.raises(IllegalTransition) as err:
            a.set_status(new, patient_scoped=False, now=AFTER)
        assert str(err.value) == f"A {current.value} appointment cannot become {new.value}."


@pytest.mark.parametrize("value", ["held", "expired", "done", "", None, 3])
def test_unknown_or_flow_only_statuses_are_bad_input(value: object) -> None:
    with pytest.raises(InvalidInput, match="Unknown status"):
        settable_status(value, patient_scoped=False)
    with pytest.raises(InvalidInput, match="Unknown status"):
        appt(S.SCHEDULED).set_status(value, patient_scoped=False, now=BEFORE)  # type: ignore[arg-type]


@pytest.mark.parametrize("new", sorted(SETTABLE - {S.CONFIRMED, S.CANCELLED}))
def test_patients_may_only_confirm_or_cancel(new: Status) -> None:
    with pytest.raises(Forbidden, match=r"^Only the clinic can set that status\.$"):
        settable_status(new, patient_scoped=True)
    # Refused whatever the appointment's state, even when it already has that status.
    for current in (S.SCHEDULED, new):
        with pytest.raises(Forbidden):
            appt(current).set_status(new, patient_scoped=True, now=BEFORE)


def test_patients_confirm_and_cancel_through_set_status() -> None:
    a = appt(S.SCHEDULED)
    assert a.set_status("confirmed", patient_scoped=True, now=BEFORE) == Change(S.CONFIRMED)
    assert a.set_status("cancelled", patient_scoped=True, now=BEFORE) == Change(
        S.CANCELLED, notes=""
    )
    with pytest.raises(InvalidInput, match="already started"):
        a.set_status("cancelled", patient_scoped=True, now=AFTER)


def test_confirm_turns_a_live_hold_into_a_booking_without_expiry() -> None:
    change = appt(S.HELD).confirm()
    assert change == Change(S.SCHEDULED, ends_hold=True)
    assert change.fields() == {"status": "scheduled", "hold_expires_at": None}


@pytest.mark.parametrize("status", [S.SCHEDULED, S.CONFIRMED])
def test_confirm_is_idempotent_for_bookings(status: Status) -> None:
    assert appt(status).confirm() is None


@pytest.mark.parametrize(("status", "ran_out"), [(S.HELD, True), (S.EXPIRED, False)])
def test_confirming_a_hold_that_ran_out_is_hold_expired(status: Status, ran_out: bool) -> None:
    with pytest.raises(HoldExpired) as err:
        appt(status, hold_expired=ran_out).confirm()
    assert str(err.value).startswith("The reservation expired before it was confirmed.")
    assert isinstance(err.value, SlotTaken)  # adapters answer it as a 409 like a taken slot


def test_setting_scheduled_on_a_hold_that_ran_out_is_hold_expired() -> None:
    with pytest.raises(HoldExpired):
        appt(S.HELD, hold_expired=True).set_status(S.SCHEDULED, patient_scoped=False, now=BEFORE)


@pytest.mark.parametrize("status", [S.ARRIVED, S.COMPLETED, S.NO_SHOW, S.CANCELLED])
def test_confirm_refuses_visits_that_are_over_or_cancelled(status: Status) -> None:
    with pytest.raises(IllegalTransition) as err:
        appt(status).confirm()
    assert str(err.value) == f"This appointment is {status.value} and cannot be confirmed."


@pytest.mark.parametrize("ran_out", [False, True])
def test_release_gives_a_hold_back(ran_out: bool) -> None:
    change = appt(S.HELD, hold_expired=ran_out).release()
    assert change == Change(S.CANCELLED)
    assert change.fields() == {"status": "cancelled"}


@pytest.mark.parametrize("status", [S.CANCELLED, S.EXPIRED])
def test_release_is_idempotent_once_the_hold_is_gone(status: Status) -> None:
    assert appt(status).release() is None


@pytest.mark.parametrize("status", [S.SCHEDULED, S.CONFIRMED, S.ARRIVED, S.COMPLETED, S.NO_SHOW])
def test_release_refuses_bookings(status: Status) -> None:
    with pytest.raises(InvalidInput, match=r"^This is a booking, not a hold; cancel it instead\.$"):
        appt(status).release()


def test_cancel_is_idempotent() -> None:
    a = appt(S.CANCELLED, notes="x")
    assert a.cancel("again", patient_scoped=True, now=AFTER) is None
    assert a.set_status(S.CANCELLED, patient_scoped=True, now=AFTER) is None


@pytest.mark.parametrize("status", [S.ARRIVED, S.COMPLETED, S.NO_SHOW, S.EXPIRED])
def test_cancel_refuses_what_cannot_be_cancelled(status: Status) -> None:
    with pytest.raises(IllegalTransition) as err:
        appt(status).cancel("", patient_scoped=False, now=BEFORE)
    assert str(err.value) == f"A {status.value} appointment cannot be cancelled."


@pytest.mark.parametrize("now", [STARTS, AFTER])
def test_patients_cannot_cancel_once_it_started(now: dt.datetime) -> None:
    for status in (S.SCHEDULED, S.CONFIRMED, S.HELD):
        with pytest.raises(InvalidInput) as err:
            appt(status).cancel("late", patient_scoped=True, now=now)
        assert str(err.value) == "This appointment has already started; please call the clinic."


def test_staff_may_cancel_after_the_start_and_patients_before() -> None:
    assert appt(S.SCHEDULED).cancel("", patient_scoped=False, now=AFTER) == Change(
        S.CANCELLED, notes=""
    )
    assert appt(S.CONFIRMED).cancel("", patient_scoped=True, now=BEFORE) == Change(
        S.CANCELLED, notes=""
    )


def test_cancel_appends_the_reason_to_the_notes() -> None:
    def notes_after(notes: str, reason: str) -> str | None:
        change = appt(S.SCHEDULED, notes=notes).cancel(reason, patient_scoped=False, now=BEFORE)
        assert change is not None and change.status is S.CANCELLED
        return change.notes

    assert notes_after("", "sick") == "Cancelled: sick"
    assert notes_after("bring x-rays", "sick") == "bring x-rays\nCancelled: sick"
    assert notes_after("bring x-rays", "") == "bring x-rays"
    capped = notes_after("n" * 1995, "a long story")
    assert capped == "n" * 1995 + "\nCanc" and len(capped) == 2000


def test_cancel_fields_write_status_and_notes() -> None:
    change = appt(S.HELD, notes="a").cancel("b", patient_scoped=False, now=BEFORE)
    assert change is not None
    assert change.fields() == {"status": "cancelled", "notes": "a\nCancelled: b"}


@pytest.mark.parametrize("status", [S.HELD, S.SCHEDULED, S.CONFIRMED])
def test_bookings_and_live_holds_can_be_moved(status: Status) -> None:
    appt(status).ensure_movable()


@pytest.mark.parametrize(
    ("status", "ran_out"),
    [(S.HELD, True), *((s, False) for s in (S.ARRIVED, S.COMPLETED, S.NO_SHOW, S.CANCELLED))],
)
def test_nothing_else_can_be_moved(status: Status, ran_out: bool) -> None:
    with pytest.raises(IllegalTransition) as err:
        appt(status, hold_expired=ran_out).ensure_movable()
    assert str(err.value) == f"A {status.value} appointment cannot be moved."


def test_the_appointment_is_immutable() -> None:
    a = appt(S.HELD)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.status = S.SCHEDULED  # type: ignore[misc]
    assert a.confirm() is not None and a.status is S.HELD
