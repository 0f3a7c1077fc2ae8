"""An appointment (or hold) as the booking rules see it, and the changes it allows.

The services lock the row, build an `Appointment`, ask it what a confirm / release / cancel /
status change means *for this appointment*, and write back the `Change` it returns. `None`
means "nothing to do": the request already happened, and the current document is the answer
(so retries and double clicks are harmless). The allowed moves come from the one table in
`domain.status`; this type adds what the table cannot say: holds that ran out, who may cancel
after the start, and what a cancellation writes into the notes. The clock is passed in, so the
rules can be tested at any instant.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chatbot.domain.status import PATIENT_SETTABLE, SETTABLE, Status
from chatbot.errors import Forbidden, HoldExpired, IllegalTransition, InvalidInput

NOTES_MAX = 2000


@dataclass(frozen=True)
class Change:
    """What a transition writes: the new status, the notes when they change, and whether the
    hold's expiry is dropped (a confirmed hold no longer runs out)."""

    status: Status
    notes: str | None = None
    ends_hold: bool = False

    def fields(self) -> dict[str, Any]:
        """The changed columns, as the repository's `update_appointment` takes them."""
        out: dict[str, Any] = {"status": self.status.value}
        if self.ends_hold:
            out["hold_expires_at"] = None
        if self.notes is not None:
            out["notes"] = self.notes
        return out


def settable_status(value: object, *, patient_scoped: bool) -> Status:
    """The status a user asked to set, checked before any row is read: unknown or
    flow-only statuses are bad input; patients may only confirm or cancel."""
    new = Status.parse(value)
    if new is None or new not in SETTABLE:
        raise InvalidInput(f"Unknown status {str(value)[:40]!r}.")
    if patient_scoped and new not in PATIENT_SETTABLE:
        raise Forbidden("Only the clinic can set that status.")
    return new


@dataclass(frozen=True)
class Appointment:
    id: int
    dentist_id: int
    patient_id: int
    treatment: str  # treatment code
    status: Status
    starts_at: dt.datetime
    hold_expired: bool  # a hold whose time ran out but that no sweep has marked 'expired' yet
    notes: str
    doc: Mapping[str, Any]  # the current appointment document: the answer when nothing changes

    def confirm(self) -> Change | None:
        """A live hold becomes a booking; a booking stays one (idempotent)."""
        if self.status.booked:
            return None
        if self.status is Status.EXPIRED or (self.status is Status.HELD and self.hold_expired):
            raise HoldExpired(
                "The reservation expired before it was confirmed. Please pick a time again."
            )
        if self.status is not Status.HELD:
            raise IllegalTransition(f"This appointment is {self.status} and cannot be confirmed.")
        return Change(Status.SCHEDULED, ends_hold=True)

    def release(self) -> Change | None:
        """A hold given back; one already gone (cancelled or expired) needs nothing."""
        if self.status in (Status.CANCELLED, Status.EXPIRED):
            return None
        if self.status is not Status.HELD:
            raise InvalidInput("This is a booking, not a hold; cancel it instead.")
        return Change(Status.CANCELLED)

    def cancel(self, reason: str, *, patient_scoped: bool, now: dt.datetime) -> Change | None:
        """Cancelled (idempotent), the reason appended to the notes. Patients cannot cancel
        once it has started: by then the clinic has to hear about it."""
        if self.status is Status.CANCELLED:
            return None
        if not self.status.can_become(Status.CANCELLED):
            raise IllegalTransition(f"A {self.status} appointment cannot be cancelled.")
        if patient_scoped and self.starts_at <= now:
            raise InvalidInput("This appointment has already started; please call the clinic.")
        notes = self.notes
        if reason:
            notes = ((notes + "\n") if notes else "") + f"Cancelled: {reason}"
        return Change(Status.CANCELLED, notes=notes[:NOTES_MAX])

    def ensure_movable(self) -> None:
        """Only bookings and live holds may be rescheduled."""
        if not self.status.movable or self.hold_expired:
            raise IllegalTransition(f"A {self.status} appointment cannot be moved.")

    def set_status(
        self, new: Status | str, *, patient_scoped: bool, now: dt.datetime
    ) -> Change | None:
        """A move along the status table; setting the current status again changes nothing.
        Cancelling follows `cancel`, and a hold becomes 'scheduled' only by `confirm`."""
        new = settable_status(new, patient_scoped=patient_scoped)
        if self.status is new:
            return None
        if not self.status.can_become(new):
            raise IllegalTransition(f"A {self.status} appointment cannot become {new}.")
        if new is Status.CANCELLED:
            return self.cancel("", patient_scoped=patient_scoped, now=now)
        if self.status is Status.HELD:
            return self.confirm()
        return Change(new)
