"""A template-driven simulated patient.

A conversation (`Spec`, generated from a seeded RNG by tests/e2e/sim_specs.py) = goal ×
phrasing × correction × digression × stale state × role. `run` drives one through a
`chat(message) -> replies` callable with a user policy that reacts to the bot's last reply
(clicks a slot or yes button the way the widget does, answers the question asked, rephrases
when not understood, applies the planned correction/digression once).
`transcript_faults` judges the transcript; tests/e2e/sim_world.py judges the database.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sim_phrases as P

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
        self.spec.restate = fix["text"]  # from now on the goal includes the correction
        slot, answers = fix["answers"]  # and asked again, the patient gives the new value
        self.spec.answers[slot], self.answered[slot] = answers, 0
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
    # (text and buttons: three different offers under the same heading are not a repeat)
    questions = [json.dumps(t.replies[-1:]) for t in tr.turns if t.kind != "digression"]
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
