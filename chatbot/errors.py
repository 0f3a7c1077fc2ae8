"""Errors every service raises; adapters map them to HTTP statuses or bot replies."""

from __future__ import annotations


class BookingError(Exception):
    """Base class: `str(err)` is a message safe to show to the user."""

    http_status = 400
    code = "error"


class InvalidInput(BookingError):
    http_status = 422
    code = "invalid_input"


class NotFound(BookingError):
    http_status = 404
    code = "not_found"


class Forbidden(BookingError):
    http_status = 403
    code = "forbidden"


class SlotTaken(BookingError):
    http_status = 409
    code = "slot_taken"


class OutsideAvailability(BookingError):
    http_status = 409
    code = "outside_availability"


class Unauthorized(BookingError):
    http_status = 401
    code = "unauthorized"


# A hold that ran out before confirmation. A SlotTaken subclass, so adapters that handle
# SlotTaken (409) need no change.
class HoldExpired(SlotTaken):
    code = "hold_expired"


class LimitReached(BookingError):
    """A per-patient limit (live holds, future appointments) is used up."""

    http_status = 409
    code = "limit_reached"


class IllegalTransition(BookingError):
    """The appointment's status does not allow that change (domain.status.Status)."""

    http_status = 409
    code = "illegal_transition"
