"""The hold-out: whole patient messages the grammar was not written from (timeparse_holdout.json).

The floors sit just under what the resolver reaches, so a change that loses cases fails here;
raise them when the resolver gets better, never lower them to make a change pass.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from timeparse_cases import HOLDOUT, Answer, Case, load, score

from chatbot.domain.timeparse import ClinicContext, resolve

DATE_FLOOR = 0.99
TIME_FLOOR = 0.99
WINDOW_FLOOR = 0.99

CASES = load(HOLDOUT)


def answer(case: Case) -> Answer:
    got = resolve(case.utterance, case.now, options=ClinicContext(locale=case.locale))
    shown = got.to_json()
    return Answer(shown["date"], shown["time"], got.start, got.end, bool(got.error))


def test_the_hold_out_is_large_and_spans_zones_and_dst_changes() -> None:
    assert len(CASES) >= 200
    zones = {case.zone.key for case in CASES}
    assert len(zones) >= 2
    near_dst = {
        case.zone.key
        for case in CASES
        if any(
            (case.now + timedelta(days=d)).utcoffset() != case.now.utcoffset() for d in range(15)
        )
    }
    assert len(near_dst) >= 2, "at least two groups have a DST change within two weeks"


@pytest.mark.parametrize("field", ["date", "time", "window"])
def test_hold_out_accuracy_stays_above_its_floor(field: str) -> None:
    result = score(CASES, answer)
    floor = {"date": DATE_FLOOR, "time": TIME_FLOOR, "window": WINDOW_FLOOR}[field]
    misses = "\n".join(result.wrong)
    assert result.rate(field) >= floor, f"{result.summary()}\nmissed:\n{misses}"
