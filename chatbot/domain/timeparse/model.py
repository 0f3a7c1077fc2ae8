"""The result types of the time phrase resolver."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any


class ImpossibleDate(ValueError):
    """A date or time that cannot exist ("February 30", "25:00")."""


@dataclass(frozen=True)
class Mention:
    """One temporal expression found in the utterance, resolved on its own.

    The optional fields after `error` describe recurring and vague requests (see `Resolution`);
    `negated` marks a mention the sentence rules out ("not on Monday", "Monday doesn't work").
    """

    text: str
    date: date | None
    time: time | None
    start: datetime | None
    end: datetime | None
    error: str | None = None
    weekdays: tuple[int, ...] | None = None
    daily_start: dt.time | None = None  # the class's own `date`/`time` fields shadow the types
    daily_end: dt.time | None = None
    effective_from: dt.date | None = None
    earliest: bool = False
    negated: bool = False


@dataclass(frozen=True)
class Resolution:
    """What an utterance asks for: the named date/time and the window it means.

    `date`/`time` are what the primary mention names (24 h; `time` is None unless one exact
    clock time was named); `start`/`end` the window, aware datetimes in the requested zone.
    `error` explains impossible dates ("February 30 doesn't exist"); the other fields are then
    None. `mentions` lists every temporal expression found, in order.

    Recurring hours ("Mon-Thu 9-5", "tuesdays and thursdays 10-2", "weekdays 8am-4pm"):
    `weekdays` is the sorted ISO weekdays (1 = Monday .. 7 = Sunday), `daily_start`/`daily_end`
    the time range on each of them (`daily_end` 00:00 means midnight), `effective_from` the first
    day they apply when the sentence says so ("from next week", "starting Monday", "from the
    1st"); `start`/`end` are then the first occurrence (on or after `effective_from`).
    `earliest` is True when the patient wants the first free slot ("asap", "first available",
    "whenever"); alone, it means the window now .. now + 14 days with `date` None.
    These fields are not part of the CLI's JSON (`to_json`), which the contract fixes.
    """

    date: date | None = None
    time: time | None = None
    start: datetime | None = None
    end: datetime | None = None
    error: str | None = None
    mentions: tuple[Mention, ...] = ()
    weekdays: tuple[int, ...] | None = None
    daily_start: dt.time | None = None  # the class's own `date`/`time` fields shadow the types
    daily_end: dt.time | None = None
    effective_from: dt.date | None = None
    earliest: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat() if self.date else None,
            "time": self.time.strftime("%H:%M") if self.time else None,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "error": self.error,
        }

    @classmethod
    def from_mention(
        cls, primary: Mention, mentions: tuple[Mention, ...], *, earliest: bool = False
    ) -> Resolution:
        earliest = earliest or primary.earliest
        if primary.error:
            return cls(error=primary.error, mentions=mentions, earliest=earliest)
        return cls(
            primary.date,
            primary.time,
            primary.start,
            primary.end,
            None,
            mentions,
            weekdays=primary.weekdays,
            daily_start=primary.daily_start,
            daily_end=primary.daily_end,
            effective_from=primary.effective_from,
            earliest=earliest,
        )
