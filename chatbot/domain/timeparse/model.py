"""The result types of the time phrase resolver."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any


class ImpossibleDate(ValueError):
    """A date or time that cannot exist ("February 30", "25:00")."""


@dataclass(frozen=True)
class Mention:
    """One temporal expression found in the utterance, resolved on its own."""

    text: str
    date: date | None
    time: time | None
    start: datetime | None
    end: datetime | None
    error: str | None = None


@dataclass(frozen=True)
class Resolution:
    """What an utterance asks for: the named date/time and the window it means.

    `date`/`time` are what the primary mention names (24 h; `time` is None unless one exact
    clock time was named); `start`/`end` the window, aware datetimes in the requested zone.
    `error` explains impossible dates ("February 30 doesn't exist"); the other fields are then
    None. `mentions` lists every temporal expression found, in order.
    """

    date: date | None = None
    time: time | None = None
    start: datetime | None = None
    end: datetime | None = None
    error: str | None = None
    mentions: tuple[Mention, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat() if self.date else None,
            "time": self.time.strftime("%H:%M") if self.time else None,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "error": self.error,
        }

    @classmethod
    def from_mention(cls, primary: Mention, mentions: tuple[Mention, ...]) -> Resolution:
        if primary.error:
            return cls(error=primary.error, mentions=mentions)
        return cls(primary.date, primary.time, primary.start, primary.end, None, mentions)
