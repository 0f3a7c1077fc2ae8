"""Golden utterances, written the way patients write, with hand-computed expectations.

The data lives in timeparse_golden.json; each group fixes `now` and the zone. A case may end
with a dict of the optional fields it checks: `weekdays` (ISO list or null), `daily`
(["HH:MM", "HH:MM"] or null), `effective_from` (ISO date or null), `earliest` (bool).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chatbot.domain.timeparse import ClinicContext, Resolution, resolve

DATA = Path(__file__).with_name("timeparse_golden.json")


def load_cases() -> list[Any]:
    cases = []
    for group in json.loads(DATA.read_text())["groups"]:
        for case in group["cases"]:
            cases.append(pytest.param(group, case, id=f"{group['now']}|{case[0]}"))
    return cases


CASES = load_cases()


def expected_instant(text: str | None, zone: ZoneInfo) -> datetime | None:
    if text is None:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=zone)


def run(group: dict[str, Any], utterance: str) -> Resolution:
    zone = ZoneInfo(group["tz"])
    now = datetime.fromisoformat(group["now"]).replace(tzinfo=zone)
    return resolve(utterance, now, options=ClinicContext(locale=group.get("locale", "dmy")))


def test_there_are_enough_golden_cases() -> None:
    assert len(CASES) >= 400


@pytest.mark.parametrize(("group", "case"), CASES)
def test_golden(group: dict[str, Any], case: list[Any]) -> None:
    utterance, *want = case
    got = run(group, utterance)
    if want == ["error"]:
        assert got.error, f"{utterance!r} should be an impossible date, got {got.to_json()}"
        assert (got.date, got.time, got.start, got.end) == (None, None, None, None)
        return
    zone = ZoneInfo(group["tz"])
    extras = want.pop() if isinstance(want[-1], dict) else {}
    date, time, start, end = want
    assert got.error is None, got.error
    assert got.to_json()["date"] == date
    assert got.to_json()["time"] == time
    for name, text, actual in (("start", start, got.start), ("end", end, got.end)):
        wanted = expected_instant(text, zone)
        assert actual == wanted or _same_instant(actual, wanted), f"{name}: {actual} != {wanted}"
        if wanted is not None and actual is not None:
            assert actual.utcoffset() == wanted.utcoffset(), f"{name} offset: {actual}"
    check_extras(got, extras)


def check_extras(got: Resolution, extras: dict[str, Any]) -> None:
    if "weekdays" in extras:
        wanted = extras["weekdays"]
        assert got.weekdays == (tuple(wanted) if wanted is not None else None)
    if "daily" in extras:
        daily = extras["daily"]
        shown = [t.strftime("%H:%M") for t in (got.daily_start, got.daily_end) if t is not None]
        assert shown == (daily or [])
    if "effective_from" in extras:
        on = got.effective_from.isoformat() if got.effective_from else None
        assert on == extras["effective_from"]
    if "earliest" in extras:
        assert got.earliest is extras["earliest"]


def _same_instant(a: datetime | None, b: datetime | None) -> bool:
    """Equality through UTC: aware datetimes in different tzinfos compare unequal when one is
    an ambiguous wall time (PEP 495), even if they are the same instant."""
    return (
        a is not None and b is not None and a.astimezone(timezone.utc) == b.astimezone(timezone.utc)
    )
