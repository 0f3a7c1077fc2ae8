"""Generation of the simulated conversations (see tests/e2e/simulator.py): goal × phrasing
× correction × digression × stale state × role, from a seeded RNG, with dates derived from
`today` so no run depends on the calendar."""

from __future__ import annotations

import datetime as dt
import random

import sim_phrases as P
from simulator import Spec

GOALS = ("book", "cancel", "reschedule", "list", "faq", "patient_dentist_cmd", "dentist_block")
WEIGHTS = (10, 3, 3, 2, 2, 2, 2)


def _when(rng: random.Random, today: dt.date, part: str) -> tuple[list[str], frozenset[dt.date]]:
    """Day/time phrases that all mean the same (in random order) and the dates they may mean."""
    phrases = list(P.DAYPARTS[part][1])
    if rng.random() < 0.5:
        day = rng.choice(P.WEEKDAYS)
        forms = [f.format(day=day, Day=day.capitalize()) for f in P.DAY_FORMS]
        dates = weekday_dates(today, P.WEEKDAYS.index(day) + 1)
    else:
        date = today + dt.timedelta(days=rng.randint(3, 20))  # spread: bookings share slots
        while date.isoweekday() > 5:
            date += dt.timedelta(days=1)
        nth = f"{date.day}{_suffix(date.day)}"
        forms = [
            f.format(nth=nth, n=date.day, Month=f"{date:%B}", Mon=f"{date:%b}")
            for f in P.DATE_FORMS
        ]
        dates = frozenset({date})
    rng.shuffle(forms)
    rng.shuffle(phrases)
    return [f"{f} {p}".strip() for f, p in zip(forms, phrases * 3, strict=False)], dates


def _rephrasings(rng: random.Random, templates: tuple[str, ...], values: list[str]) -> list[str]:
    """Three answers: the first with values[0], then other templates and wordings."""
    order = rng.sample(templates, len(templates))
    return [order[i % len(order)].format(x=values[i % len(values)]) for i in range(3)]


def weekday_dates(today: dt.date, isodow: int) -> frozenset[dt.date]:
    days = (today + dt.timedelta(days=i) for i in range(15))
    return frozenset(d for d in days if d.isoweekday() == isodow)


def _suffix(n: int) -> str:
    return "th" if 10 < n % 100 < 14 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def _digression(rng: random.Random) -> tuple[str, str]:
    kind = rng.choice(("faq", "faq", "out_of_scope", "thanks"))
    if kind == "faq":
        expect, asks = P.FAQ[rng.choice(sorted(P.FAQ))]
        return "oh btw, " + rng.choice(asks), expect
    expect, text = rng.choice(P.OUT_OF_SCOPE if kind == "out_of_scope" else P.THANKS)
    return text, expect


def _booking(spec: Spec, rng: random.Random, today: dt.date) -> None:
    code = rng.choice(sorted(P.TREATMENTS))
    offering, wordings = P.TREATMENTS[code]
    spec.treatment = code
    spec.dentist = rng.choice([*offering, None])
    part = rng.choice(sorted(P.DAYPARTS))
    ws, spec.days = _when(rng, today, part)
    spec.hours = P.DAYPARTS[part][0]
    ts = rng.sample(wordings, len(wordings))
    ds = rng.sample(P.DENTISTS[spec.dentist] if spec.dentist else P.ANYONE, 3)
    t, d, w = ts[0], ds[0], ws[0]
    spec.answers = {
        "t": _rephrasings(rng, P.ANSWER_T, ts),
        "d": _rephrasings(rng, P.ANSWER_D, ds) if spec.dentist else ds,
        "w": _rephrasings(rng, P.ANSWER_W, ws),
    }
    style = rng.choice(("full", "full", "partial", "bare"))
    bank = {"full": P.BOOK_FULL, "partial": P.BOOK_PARTIAL, "bare": P.BOOK_BARE}[style]
    first, again = rng.sample(bank, 2)
    with_d = d if spec.dentist else "anyone"
    spec.script.append(("opening", first.format(t=t, d=with_d, w=w)))
    spec.restate = again.format(t=ts[1 % len(ts)], d=with_d, w=ws[1])
    roll = rng.random()
    if roll < 0.2:
        day = rng.choice([d for d in P.WEEKDAYS if P.WEEKDAYS.index(d) + 1 not in _dows(spec)])
        spec.correction = {
            "stage": rng.choice(("offer", "confirm")),
            "text": rng.choice(P.CORRECT_DAY).format(day=day),
            "days": weekday_dates(today, P.WEEKDAYS.index(day) + 1),
            "answers": ("w", _rephrasings(rng, P.ANSWER_W, [f"next {day}", day.title()])),
        }
    elif roll < 0.35 and len([x for x in offering if x != spec.dentist]) > 0:
        other = rng.choice([x for x in offering if x != spec.dentist])
        spec.correction = {
            "stage": rng.choice(("offer", "confirm")),
            "text": rng.choice(P.CORRECT_DENTIST).format(d=rng.choice(P.DENTISTS[other])),
            "dentist": other,
            "answers": ("d", _rephrasings(rng, P.ANSWER_D, rng.sample(P.DENTISTS[other], 3))),
        }


def _dows(spec: Spec) -> set[int]:
    return {d.isoweekday() for d in spec.days}


def generate(n: int, seed: int, today: dt.date) -> list[Spec]:
    rng = random.Random(seed)
    specs = []
    for cid in range(n):
        goal = rng.choices(GOALS, WEIGHTS)[0]
        spec = Spec(cid, goal, role="dentist" if goal == "dentist_block" else "patient")
        spec.yes = "/affirm" if rng.random() < 0.5 else rng.choice(P.YES)
        spec.click = rng.random() < 0.3
        stale = rng.choice((None, None, "switch", "goodbye")) if spec.role == "patient" else None
        if stale:
            t = rng.choice(P.TREATMENTS[rng.choice(sorted(P.TREATMENTS))][1])
            opener = rng.choice(P.BOOK_BARE if goal == "book" else P.STALE_OPEN).format(t=t)
            spec.script.append(("stale", opener))
        if stale == "goodbye":
            spec.script.append(("goodbye", rng.choice(P.GOODBYE)))
            spec.script.append(("hello", rng.choice(P.HELLO_AGAIN)))
        if goal == "book":
            _booking(spec, rng, today)
        elif goal in ("cancel", "list"):
            first, spec.restate = rng.sample(P.CANCEL if goal == "cancel" else P.LIST, 2)
            spec.script.append(("opening", first))
        elif goal == "reschedule":
            part = rng.choice(("morning", "afternoon", ""))
            ws, spec.days = _when(rng, today, part)
            spec.hours = P.DAYPARTS[part][0]
            spec.answers = {"w": _rephrasings(rng, P.ANSWER_W, ws[1:])}
            first, again = rng.sample(P.RESCHEDULE, 2)
            spec.script.append(("opening", first.format(w=ws[0])))
            spec.restate = again.format(w=ws[2])
        elif goal == "faq":
            spec.expect, asks = P.FAQ[rng.choice(sorted(P.FAQ))]
            first, spec.restate = rng.sample(asks, 2)
            spec.script.append(("opening", first))
        else:
            i = rng.randrange(len(P.DENTIST_CMDS))
            day = rng.choice(P.WEEKDAYS)
            spec.script.append(("opening", P.DENTIST_CMDS[i].format(day=day)))
            start, end = P.DENTIST_CMD_HOURS[i]
            spec.answers = {
                "b": [
                    a.format(day=day, Day=day.title(), start=start, end=end) for a in P.BLOCK_ANSWER
                ]
            }
            spec.days = weekday_dates(today, P.WEEKDAYS.index(day) + 1)
            spec.hours = P.DENTIST_CMD_HOURS[i]
        if goal in ("book", "reschedule") and rng.random() < 0.3:
            spec.digression = _digression(rng)
        if rng.random() < 0.3:
            spec.closing = rng.choice(P.CLOSING + P.GOODBYE)
        spec.tags = [
            f"stale:{stale}" if stale else "",
            "correction:" + ("day" if "days" in spec.correction else "dentist")
            if spec.correction
            else "",
            "digression" if spec.digression else "",
            "typed_yes" if spec.yes != "/affirm" else "",
            "closing" if spec.closing else "",
        ]
        spec.tags = [t for t in spec.tags if t]
        specs.append(spec)
    return specs
