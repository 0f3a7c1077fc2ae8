"""The intermediate parts the grammar finds before they are combined into mentions."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .options import ClinicContext


@dataclass(frozen=True)
class Env:
    """Everything a grammar rule may consult: the local `now` and the clinic context."""

    now: datetime
    options: ClinicContext

    @property
    def today(self) -> date:
        return self.now.date()


@dataclass(frozen=True)
class Day:
    """A run of whole local days, `first` to `last` inclusive."""

    first: date
    last: date
    since: datetime | None = None  # the window opens at this instant, not midnight
    roll: str | None = None  # "week" | "month" | "year": how to move it later if needed
    weekday: bool = False  # a bare weekday, which an explicit date next to it refines
    # "in 2 weeks", "in a fortnight": a weekday next to it is that weekday in the same
    # Monday-Sunday week ("in 2 weeks on the Tuesday"), not a contradiction
    week_ahead: bool = False
    # "in a few days", "in a couple of days": a rough distance, so a weekday said with it is
    # the day meant ("in a few days, say Tuesday"), not a contradiction
    approximate: bool = False
    # ISO weekdays (sorted) of a recurring set or a weekday range ("Mon-Thu", "tuesdays and
    # thursdays", "weekdays"); `first`..`last` is then its first occurrence
    weekdays: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Clock:
    """A named clock time; `meridiem` None with `fixed` False means "read it in clinic hours"."""

    hour: int
    minute: int = 0
    meridiem: str | None = None
    fixed: bool = False


@dataclass(frozen=True)
class ClockSpan:
    """A time range on one day; None ends mean clinic opening/closing."""

    start: Clock | None
    end: Clock | None


@dataclass(frozen=True)
class Piece:
    """One match of one grammar rule, with its character span in the normalized text."""

    start: int
    end: int
    day: Day | None = None
    clock: Clock | None = None
    span: ClockSpan | None = None
    part: tuple[str, str | None] | None = None  # (daypart name, "early"/"late"/None)
    instant: datetime | None = None
    error: str | None = None
    earliest: bool = False  # "asap", "first available": the patient wants the first free slot
    flipped: bool = False  # an open range a negation turned round ("can't come before 4")

    def slots(self) -> frozenset[str]:
        """Which roles of a mention this piece fills (a mention takes each role once)."""
        names = set()
        if self.day or self.instant:
            names.add("day")
        if self.clock or self.span or self.instant:
            names.add("clock")
        if self.part:
            names.add("part")
        if self.error:
            names.update(("day", "clock"))
        if self.earliest:
            names.add("earliest")
        return frozenset(names)


Fields = dict[str, object]
Handler = Callable[[re.Match[str], Env], Fields | None]
Rule = tuple[re.Pattern[str], Handler, tuple[str, ...]]
DIGIT = ("<digit>",)  # `needs` of rules that only match text with a digit in it


def rule(pattern: str, needs: tuple[str, ...] = ()) -> Callable[[Handler], Rule]:
    """Pair a handler with its compiled pattern; `^`/`$` in patterns mean token edges.

    `needs` lists substrings one of which every match contains (or is `DIGIT`): a cheap test
    that lets `assemble.scan` skip the rule for most texts."""
    compiled = re.compile(pattern.replace("^", r"(?<!\S)").replace("$", r"(?!\S)"))

    def register(handler: Handler) -> Rule:
        return compiled, handler, needs

    return register


def add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, days_in_month(year, month)))


def days_in_month(year: int, month: int) -> int:
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return (nxt - timedelta(days=1)).day


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())
