"""The appointment status machine: one table of allowed transitions, owned by `Status`.

REST, chat actions and services all ask this type (never a string list of their own), so a
status added or a transition changed here changes every interface at once. Holds ('held')
move by confirmation, release or expiry; 'expired' belongs to holds only.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    HELD = "held"
    SCHEDULED = "scheduled"
    CONFIRMED = "confirmed"
    ARRIVED = "arrived"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @classmethod
    def parse(cls, value: object) -> Status | None:
        """The status named by `value`, or None when it names none."""
        try:
            return cls(str(value))
        except ValueError:
            return None

    @property
    def next(self) -> frozenset[Status]:
        """Where this status may go."""
        return _TRANSITIONS[self]

    def can_become(self, new: Status | str) -> bool:
        return new in self.next

    @property
    def booked(self) -> bool:
        """A booking the patient still has (not a hold, not over): may be moved or cancelled."""
        return self in (Status.SCHEDULED, Status.CONFIRMED)

    @property
    def movable(self) -> bool:
        """May be rescheduled or cancelled (a live hold too)."""
        return self is Status.HELD or self.booked

    @property
    def live(self) -> bool:
        """Occupies the dentist's time (until a hold expires)."""
        return self in LIVE

    @property
    def final(self) -> bool:
        return not self.next


_TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.HELD: frozenset({Status.SCHEDULED, Status.CANCELLED, Status.EXPIRED}),
    Status.SCHEDULED: frozenset(
        {Status.CONFIRMED, Status.ARRIVED, Status.NO_SHOW, Status.CANCELLED}
    ),
    Status.CONFIRMED: frozenset(
        {Status.SCHEDULED, Status.ARRIVED, Status.NO_SHOW, Status.CANCELLED}
    ),
    Status.ARRIVED: frozenset({Status.COMPLETED, Status.NO_SHOW}),
    Status.COMPLETED: frozenset(),
    Status.NO_SHOW: frozenset(),
    Status.CANCELLED: frozenset(),
    Status.EXPIRED: frozenset(),
}
LIVE = frozenset({Status.HELD, Status.SCHEDULED, Status.CONFIRMED, Status.ARRIVED})
# What staff may set by hand (holds are created, confirmed and expired by the booking flow).
SETTABLE = frozenset(Status) - {Status.HELD, Status.EXPIRED}
# What a patient (or the bot acting for one) may set on their own appointment.
PATIENT_SETTABLE = frozenset({Status.CONFIRMED, Status.CANCELLED})


def allowed_next(current: str, *, patient: bool = False) -> list[str]:
    """The statuses a user may pick next, in table order (what the pages offer as buttons)."""
    now = Status.parse(current)
    if now is None:
        return []
    mine = PATIENT_SETTABLE if patient else SETTABLE
    return [s.value for s in Status if s in now.next and s in mine]
