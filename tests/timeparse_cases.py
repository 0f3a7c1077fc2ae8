"""The resolver's case files (golden, hold-out, blind) and how an answer is scored against them.

One row: [utterance, date, time, start, end] (optionally a dict of extra fields, see
test_timeparse_golden.py) or [utterance, "error"]. Each group of rows fixes `now`, the IANA
zone and the date order. The same scoring serves the tests and the comparison bench, whose
adapters turn another library's output into the same four fields.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "timeparse_golden.json"
HOLDOUT = HERE / "timeparse_holdout.json"
BLIND = HERE / "timeparse_blind.json"
EXPLORE = HERE / "timeparse_explore.json"


@dataclass(frozen=True)
class Case:
    utterance: str
    now: datetime  # aware, in the group's zone
    locale: str
    want: list[Any]  # [date, time, start, end] or ["error"]

    @property
    def zone(self) -> ZoneInfo:
        assert isinstance(self.now.tzinfo, ZoneInfo)
        return self.now.tzinfo


@dataclass(frozen=True)
class Answer:
    """What a resolver said, in the contract's terms (`error` only for the error rows)."""

    date: str | None
    time: str | None
    start: datetime | None
    end: datetime | None
    error: bool = False


def load(path: Path) -> list[Case]:
    cases = []
    for group in json.loads(path.read_text())["groups"]:
        zone = ZoneInfo(group["tz"])
        now = datetime.fromisoformat(group["now"]).replace(tzinfo=zone)
        for utterance, *want in group["cases"]:
            if want and isinstance(want[-1], dict):
                want = want[:-1]
            cases.append(Case(utterance, now, group.get("locale", "dmy"), want))
    return cases


def instant(text: str | None, zone: ZoneInfo) -> datetime | None:
    """A row's start/end: without an offset it is wall time in the group's zone."""
    if text is None:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=zone)


def same_instant(want: datetime | None, got: datetime | None) -> bool:
    """The same instant with the same UTC offset (compared through UTC: PEP 495 makes aware
    datetimes in different tzinfos unequal when one is an ambiguous wall time)."""
    if want is None or got is None:
        return want is None and got is None
    utc = timezone.utc
    return want.astimezone(utc) == got.astimezone(utc) and want.utcoffset() == got.utcoffset()


@dataclass
class Score:
    """Exact matches per field: date, time, window (start and end) and whole row."""

    total: int = 0
    date: int = 0
    time: int = 0
    window: int = 0
    row: int = 0
    wrong: list[str] = field(default_factory=list)

    def add(self, case: Case, got: Answer) -> None:
        self.total += 1
        if case.want == ["error"]:
            ok = got.error and got.start is None
            self.date += ok
            self.time += ok
            self.window += ok
            self.row += ok
            if not ok:
                self.wrong.append(f"{case.utterance!r}: wanted an error, got {got}")
            return
        date, time, start, end = case.want
        hits = (
            got.date == date and not got.error,
            got.time == time and not got.error,
            same_instant(instant(start, case.zone), got.start)
            and same_instant(instant(end, case.zone), got.end),
        )
        self.date += hits[0]
        self.time += hits[1]
        self.window += hits[2]
        self.row += all(hits)
        if not all(hits):
            shown = (got.date, got.time, _iso(got.start), _iso(got.end))
            self.wrong.append(f"{case.now:%Y-%m-%dT%H:%M %Z} {case.utterance!r}: {shown}")

    def rate(self, name: str) -> float:
        return getattr(self, name) / self.total if self.total else 0.0

    def summary(self) -> str:
        return (
            f"date {self.date}/{self.total} ({self.rate('date'):.3f}), "
            f"time {self.time}/{self.total} ({self.rate('time'):.3f}), "
            f"window {self.window}/{self.total} ({self.rate('window'):.3f}), "
            f"row {self.row}/{self.total}"
        )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="minutes") if value else None


def score(cases: list[Case], answer: Callable[[Case], Answer]) -> Score:
    result = Score()
    for case in cases:
        result.add(case, answer(case))
    return result
