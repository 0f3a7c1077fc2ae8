"""A template-driven simulated patient (issue 12, part 4).

A conversation = goal × phrasing × correction × digression × stale state × role, drawn from a
seeded RNG (`generate`). `run` drives one through a `chat(message) -> replies` callable with a
user policy that reacts to the bot's last reply (clicks a slot or yes button the way the widget
does, answers the question asked, applies the planned correction/digression once).
`transcript_faults` judges the transcript; tests/e2e/sim_world.py judges the database.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sim_phrases as P

GOALS = ("book", "cancel", "reschedule", "list", "faq", "patient_dentist_cmd", "dentist_block")
WEIGHTS = (10, 3, 3, 2, 2, 2, 2)
DONE = {
    "book": "You're booked",
    "cancel": "is cancelled",
    "reschedule": "Done, your appointment is now",
    "list": "Your upcoming appointments",
    "patient_dentist_cmd": "only dentists",
    "dentist_block": "Blocked",
}
FALLBACK_LINES = ("Sorry, I didn't quite get that", "Sorry, I still can't follow")
ASK = {
    "t": ("What is the visit for", "Which treatment"),
    "d": ("dentist in mind", "Who would you like"),
    "w": ("When would suit", "Which day would suit"),
    "b": ("Which time should I block",),
}
MAX_TURNS = 14
Chat = Callable[[str], list[dict[str, Any]]]


@dataclass
class Spec:
    cid: int
    goal: str
    role: str = "patient"
    script: list[tuple[str, str]] = field(default_factory=list)  # (kind, text) sent first
    treatment: str | None = None
    dentist: int | None = None  # None: anyone
    days: frozenset[dt.date] = frozenset()  # dates the patient accepts
    hours: tuple[int, int] = (0, 24)  # local start hour window
    answers: dict[str, list[str]] = field(default_factory=dict)  # first, then rephrasings
    correction: dict[str, Any] | None = None  # stage, text, dentist?, days?
    digression: tuple[str, str] | None = None  # (text, expected in the answer)
    yes: str = "/affirm"
    click: bool = False  # answer treatment/dentist questions with their buttons
    closing: str | None = None
    expect: str = ""  # FAQ: text the answer must contain
    ident: int = 0  # patient or dentist id, set by the world
    appointments: list[int] = field(default_factory=list)  # seeded for this patient
    target: int | None = None  # the seeded appointment to cancel/move
    tags: list[str] = field(default_factory=list)  # the combined dimensions, for the report
    restate: str = ""  # the goal said another way, when the bot did not follow
    settled: bool = False  # took a slot after "Nothing is free then" (time no longer judged)

    def opening(self) -> str:
        return self.restate or next((t for kind, t in self.script if kind == "opening"), "")


@dataclass
class Turn:
    kind: str
    text: str
    replies: list[dict[str, Any]]
    seconds: float
    error: str = ""


@dataclass
class Transcript:
    spec: Spec
    turns: list[Turn] = field(default_factory=list)
    done: bool = False
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        lines = [f"#{self.spec.cid} {self.spec.goal} ({self.spec.role} {self.spec.ident})"]
        for turn in self.turns:
            error = f"  !{turn.error}" if turn.error else ""
            lines.append(f"  U[{turn.kind}]: {turn.text}{error}")
            for reply in turn.replies:
                buttons = [b["title"] for b in reply.get("buttons") or []]
                text = (reply.get("text") or "").replace("\n", " | ")
                lines.append(f"    B: {text}" + (f"  {buttons}" if buttons else ""))
        return "\n".join(lines)


def _text(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def _buttons(replies: list[dict[str, Any]], prefix: str) -> list[dict[str, str]]:
    return [b for r in replies for b in r.get("buttons") or [] if b["payload"].startswith(prefix)]


def slot_of(payload: str) -> tuple[int, dt.datetime]:
    choice = json.loads(payload.removeprefix("/choose_slot"))["slot_choice"]
    dentist, start = choice.split("|", 1)
    return int(dentist), dt.datetime.fromisoformat(start)


# --- generation ------------------------------------------------------------------------------
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
        }
    elif roll < 0.35 and len([x for x in offering if x != spec.dentist]) > 0:
        other = rng.choice([x for x in offering if x != spec.dentist])
        spec.correction = {
            "stage": rng.choice(("offer", "confirm")),
            "text": rng.choice(P.CORRECT_DENTIST).format(d=rng.choice(P.DENTISTS[other])),
            "dentist": other,
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


# --- the user policy ---------------------------------------------------------------------
def fits(spec: Spec, payload: str) -> bool:
    dentist, local = slot_of(payload)  # the offer's times carry the clinic's offset
    return (
        (spec.dentist is None or dentist == spec.dentist)
        and (not spec.days or local.date() in spec.days)
        and spec.hours[0] <= local.hour < spec.hours[1]
    )


class Policy:
    """What the simulated patient says next, given the bot's last replies."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.script = list(spec.script)
        self.correction = spec.correction
        self.digression = spec.digression
        self.offered: list[str] = []
        self.restated = 0
        self.answered: dict[str, int] = {}
        self.insisted = False
        self.nothing_free = False  # the last offer came after "Nothing is free then"

    def _apply_correction(self) -> tuple[str, str]:
        assert self.correction is not None
        fix, self.correction = self.correction, None
        if "days" in fix:
            self.spec.days, self.spec.hours = fix["days"], (0, 24)
        if "dentist" in fix:
            self.spec.dentist = fix["dentist"]
        return "correction", fix["text"]

    def next(self, replies: list[dict[str, Any]], done: bool) -> tuple[str, str] | None:
        if self.script:
            return self.script.pop(0)
        spec, text = self.spec, _text(replies)
        if "take over" in text:
            return None  # handed to a person: the simulated patient waits for them
        if done:
            closing, spec.closing = spec.closing, None
            return ("goodbye" if closing in P.GOODBYE else "closing", closing) if closing else None
        slots = [b["payload"] for b in _buttons(replies, "/choose_slot")]
        confirm = _buttons(replies, "/affirm")
        asking = "?" in text or slots
        if slots:
            self.offered, self.nothing_free = slots, "Nothing is free then" in text
        if self.digression and asking:
            digression, self.digression = self.digression, None
            return "digression", digression[0]
        if slots:
            return self._pick(slots, text, replies)
        if confirm:
            if self.correction and self.correction["stage"] == "confirm":
                kind, fix = self._apply_correction()
                return kind, "no, " + fix[0].lower() + fix[1:]
            return "yes", spec.yes
        if "Which appointment would you like" in text:
            buttons = _buttons(replies, "/choose_appointment")
            wanted = [b for b in buttons if f'"{spec.target}"' in b["payload"]]
            return ("click", wanted[0]["payload"]) if wanted else None
        if "Which of the times above" in text and self.offered:
            return self._pick(self.offered, text, replies)
        for slot, markers in ASK.items():
            if any(m in text for m in markers) and slot in spec.answers:
                return self._answer(slot, replies)
        if self.restated < 1 and spec.opening():
            self.restated += 1
            return "restate", spec.opening()
        return None

    def _pick(self, slots: list[str], text: str, replies: list[dict[str, Any]]) -> tuple[str, str]:
        """Click an offered time that fits; none fits: say what was asked once more, then
        take the first (after "Nothing is free then" at once, as a patient would)."""
        spec = self.spec
        if self.correction and self.correction["stage"] == "offer":
            return self._apply_correction()
        fitting = [s for s in slots if fits(spec, s)]
        if fitting:
            return "click", fitting[0]
        right_dentist = [s for s in slots if spec.dentist in (None, slot_of(s)[0])]
        if self.nothing_free and right_dentist:
            spec.settled = True
            return "click", right_dentist[0]
        if not self.insisted:
            self.insisted = True
            slot = "w" if right_dentist else "d"
            if slot in spec.answers:
                return self._answer(slot, replies)
        return "click", slots[0]

    def _answer(self, slot: str, replies: list[dict[str, Any]]) -> tuple[str, str]:
        """The planned answer; asked again, a rephrasing; asked a third time, the button
        (as a patient would after being told to say it another way)."""
        spec, n = self.spec, self.answered.get(slot, 0)
        self.answered[slot] = n + 1
        if (spec.click or n >= 2) and slot in ("t", "d"):
            key, value = ("treatment", spec.treatment) if slot == "t" else ("dentist", spec.dentist)
            for button in _buttons(replies, "/inform"):
                wanted = f'"{value}"' if value is not None else '"any"'
                if f'"{key}"' in button["payload"] and wanted in button["payload"]:
                    return "click", button["payload"]
        answers = spec.answers[slot]
        return "answer", answers[min(n, len(answers) - 1)]


def run(spec: Spec, chat: Chat) -> Transcript:
    transcript, policy = Transcript(spec), Policy(spec)
    replies: list[dict[str, Any]] = []
    for _ in range(MAX_TURNS):
        step = policy.next(replies, transcript.done)
        if step is None:
            break
        kind, message = step
        started, error = time.monotonic(), ""
        try:
            replies = chat(message)
        except Exception as exc:  # an HTTP error or timeout is a fault of this turn
            replies, error = [], f"{type(exc).__name__}: {exc}"
        transcript.turns.append(Turn(kind, message, replies, time.monotonic() - started, error))
        said = _text(replies)
        marker = DONE.get(spec.goal) or spec.expect
        if kind != "digression" and marker and marker in said:
            transcript.done = True
    return transcript


def transcript_faults(tr: Transcript, timeout_s: float) -> list[str]:
    """The transcript-level faults: fallback loop, a question asked 3 times in a row, slot
    buttons after a goodbye, a turn unanswered or slower than the gateway timeout, a
    digression not answered."""
    faults: list[str] = []
    fallback = [any(line in _text(t.replies) for line in FALLBACK_LINES) for t in tr.turns]
    if any(a and b for a, b in itertools.pairwise(fallback)):
        faults.append("fallback_loop")
    # the question asked again after an aside is by design, so asides are left out
    questions = [_text(t.replies[-1:]) for t in tr.turns if t.kind != "digression"]
    for i in range(len(questions) - 2):
        if "?" in questions[i] and questions[i] == questions[i + 1] == questions[i + 2]:
            faults.append("repeated_question")
            break
    after_bye = False
    for turn in tr.turns:
        after_bye = turn.kind == "goodbye" or (after_bye and turn.kind == "hello")
        if after_bye and _buttons(turn.replies, "/choose_slot"):
            faults.append("slots_after_goodbye")
    if any(t.error or not t.replies or t.seconds > timeout_s for t in tr.turns):
        faults.append("unanswered_or_slow")
    digressions = [t for t in tr.turns if t.kind == "digression"]
    if (
        tr.spec.digression
        and digressions
        and tr.spec.digression[1] not in _text(digressions[0].replies)
    ):
        faults.append("digression_unanswered")
    return sorted(set(faults))
