"""Clinic context the resolver needs: opening hours, date order and daypart windows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from typing import Literal

Locale = Literal["dmy", "mdy"]

DEFAULT_DAYPARTS: dict[str, tuple[time, time]] = {
    "morning": (time(8), time(12)),
    "lunch": (time(12), time(14)),
    "afternoon": (time(12), time(17)),
    "evening": (time(17), time(21)),
}


@dataclass(frozen=True)
class ClinicContext:
    """How a clinic reads vague times.

    `opens`/`closes` bound open-ended ranges ("after 3" -> 15:00 to `closes`, "before noon" ->
    `opens` to 12:00) and decide bare hours: "at 4" is 16:00 because 04:00 is outside the
    clinic's hours. `locale` orders numeric dates: "dmy" reads 05/06 as 5 June, "mdy" as May 6.
    """

    opens: time = time(7)
    closes: time = time(21)
    locale: Locale = "dmy"
    dayparts: dict[str, tuple[time, time]] = field(default_factory=lambda: dict(DEFAULT_DAYPARTS))
    exact_minutes: int = 60

    def is_open_at(self, hour: int, minute: int) -> bool:
        return self.opens <= time(hour, minute) < self.closes

    def part(self, name: str) -> tuple[time, time]:
        """The window of a daypart; "night" is the evening window (a clinic is shut later)."""
        return self.dayparts["evening" if name == "night" else name]


DEFAULT_CONTEXT = ClinicContext()
