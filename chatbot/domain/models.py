"""Plain domain objects for scheduling. Pure: no database, HTTP or Rasa imports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Clinic:
    id: int
    name: str
    timezone: str
    address: str = ""
    phone: str = ""
    email: str = ""
    opening_hours: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    slot_interval_min: int = 15
    min_notice_min: int = 60
    horizon_days: int = 90
    hold_ttl_s: int = 300

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "timezone": self.timezone,
            "address": self.address,
            "phone": self.phone,
            "email": self.email,
            "opening_hours": self.opening_hours,
            "info": self.info,
            "slot_interval_min": self.slot_interval_min,
            "min_notice_min": self.min_notice_min,
            "horizon_days": self.horizon_days,
        }


@dataclass(frozen=True)
class Dentist:
    id: int
    name: str
    title: str = "Dr"
    specialties: tuple[str, ...] = ()  # treatment codes; empty = every treatment
    phone: str = ""
    email: str = ""
    bio: str = ""
    active: bool = True

    @property
    def display_name(self) -> str:
        return f"{self.title} {self.name}".strip()

    def offers(self, treatment_code: str) -> bool:
        return not self.specialties or treatment_code in self.specialties

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "title": self.title,
            "display_name": self.display_name,
            "specialties": list(self.specialties),
            "phone": self.phone,
            "email": self.email,
            "bio": self.bio,
            "active": self.active,
        }


@dataclass(frozen=True)
class Treatment:
    code: str
    name: str
    duration_min: int
    buffer_min: int = 0
    price_cents: int = 0
    description: str = ""
    synonyms: tuple[str, ...] = ()

    @property
    def duration(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.duration_min)

    @property
    def buffer(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.buffer_min)

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "duration_min": self.duration_min,
            "buffer_min": self.buffer_min,
            "price_cents": self.price_cents,
            "description": self.description,
            "synonyms": list(self.synonyms),
        }


@dataclass(frozen=True)
class Slot:
    """A bookable start for one dentist; times are tz-aware in the clinic's zone."""

    dentist_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime

    @property
    def sort_key(self) -> tuple[dt.datetime, int]:
        return (self.starts_at, self.dentist_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "dentist_id": self.dentist_id,
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
        }


@dataclass(frozen=True)
class WeeklyHours:
    """One working window on a weekday (isodow 1 = Monday), clinic local time."""

    isodow: int
    start: dt.time
    end: dt.time


@dataclass(frozen=True, order=True)
class Interval:
    """Half-open [start, end) between two tz-aware instants."""

    start: dt.datetime
    end: dt.datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end


@dataclass(frozen=True)
class AvailabilityRule:
    """Weekly hours of a dentist, valid on local dates valid_from..valid_to (inclusive)."""

    dentist_id: int
    isodow: int
    start: dt.time
    end: dt.time
    valid_from: dt.date
    valid_to: dt.date | None = None

    def applies_on(self, day: dt.date) -> bool:
        return (
            day.isoweekday() == self.isodow
            and self.valid_from <= day
            and (self.valid_to is None or day <= self.valid_to)
        )


@dataclass(frozen=True)
class AvailabilityException:
    """A date override: 'off' removes [starts_at, ends_at), 'extra' adds it."""

    dentist_id: int
    kind: Literal["off", "extra"]
    starts_at: dt.datetime
    ends_at: dt.datetime


@dataclass(frozen=True)
class Busy:
    """Time a dentist is taken: an appointment or hold incl. its buffer (`ends_at` =
    blocks_until). A hold stops blocking at `expires_at`."""

    dentist_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    expires_at: dt.datetime | None = None

    def blocks_at(self, now: dt.datetime) -> bool:
        return self.expires_at is None or self.expires_at > now
