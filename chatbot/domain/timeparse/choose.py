"""Pick the mention a sentence books when it names several.

"I can't do Monday, how about Wednesday at 3" books Wednesday; "move my Tuesday appointment to
Friday" books Friday. Each mention scores from the words around it: a target marker before it
("to", "how about", "make it", "instead", a correcting "no") raises it, a negation ("can't do
Monday", "Monday doesn't work") or a reference to an existing booking ("my Tuesday appointment",
"from Tuesday") lowers it, and so does a limit ("away until the 22nd"). "so" marks the clause
with the request ("He works till 5, so anything after 5.30"). The highest score wins; ties go
to the first mention. `past_reference` spots a day the patient refers back to ("toothache since
the weekend", "my last visit was on the 2nd"): it is never the one booked while another is
named.
"""

from __future__ import annotations

import re

_TARGET = re.compile(
    r"\b(?:how about|what about|make it|instead|rather|actually|prefer\w*|change it|switch it"
    r"|let'?s do|lets do|can we do|could we do|could you do|can you do|no|wait|better|sorry"
    r"|i mean|i meant|meant|so)\b"
)
# Of the target markers, those that correct what came before (see `correcting`).
_CORRECTION = re.compile(
    r"\b(?:how about|what about|make it|instead|rather|actually|change it|switch it|no|wait"
    r"|sorry|i mean|i meant|meant)\b"
)
_TO = re.compile(r"\b(?:to|into|for) (?:the )?$")
_LIMIT_BEFORE = re.compile(r"\b(?:until|till|til|through|up to)(?: the)? $")
_PAST_BEFORE = re.compile(
    r"\b(?:since|ever since|(?:was|were|came|went|had it)(?: in)? on)(?: the| last)? $"
)
_NEGATED = re.compile(
    r"\b(?:can't|cannot|can not|cant|couldn't|not|won't|wont|don't|dont|unable|except|besides"
    r"|apart from|other than)(?: [^\s,.]+){0,2} $"
)
_BAD_AFTER = re.compile(
    r"^(?:, )?(?:is |are |would be |will be )?(?:doesn't|does not|won't|will not|isn't|is not|"
    r"not|no good|bad|busy|out|full|taken|booked|impossible|difficult|tricky|off|is off)\b"
)
_GOOD_AFTER = re.compile(r"^(?:, )?(?:instead|would be better|works better|is better|rather)\b")
_PEOPLE = (
    r"son|daughter|kids?|child|children|husband|wife|partner|mum|mom|dad|mother|father|boy|girl"
    r"|baby|family|friend"
)
# "my Tuesday appointment", "from Tuesday" (but "my son at 4" is not an existing booking)
_EXISTING_BEFORE = re.compile(
    rf"\b(?:my|our|current|existing|from|original)(?: (?!(?:{_PEOPLE})\b)\S+)? $"
)
_EXISTING_AFTER = re.compile(r"^(?:appointment|appt|booking|slot|visit|one|session|checkup)\b")


# Stricter than the scoring above: a mention these match is ruled out, not just less likely
# ("not on Monday", "any day except Friday", "Monday doesn't work for me").
_RULED_OUT_BEFORE = re.compile(
    r"(?:\b(?:can't|cannot|can not|cant|couldn't|couldnt|won't|wont|don't|dont|unable to|except"
    r"|besides|apart from|other than|but not|never|no)|(?<!if )\bnot)"
    r"(?! (?:mind|care|sure|matter|wait|later|earlier|sooner|before|after|until|till|too)\b)"
    r"(?: [^\s,.]+){0,2} (?<!until )(?<!till )$"
)
_RULED_OUT_AFTER = re.compile(
    r"^(?:, )?(?:is |are |would be |will be )?(?:(?:doesn't|does not|won't|will not|isn't|is not"
    r"|not|wouldn't|can't)(?: really)? (?:work|suit|good|possible|ok|okay|great|ideal|do)"
    r"|no good|bad for me|impossible|out of the question)\b"
)


def negated(text: str, spans: list[tuple[int, int]], i: int) -> bool:
    """Whether the sentence rules out mention `i` ("not on Monday", "Friday is no good")."""
    start, end = spans[i]
    before = text[spans[i - 1][1] if i else 0 : start]
    after = text[end : spans[i + 1][0] if i + 1 < len(spans) else len(text)].strip()
    return bool(_RULED_OUT_BEFORE.search(before) or _RULED_OUT_AFTER.search(after))


def primary(
    text: str, spans: list[tuple[int, int]], skip: set[int] | frozenset[int] = frozenset()
) -> int | None:
    """Index of the mention (given as character spans of `text`) the sentence books, among
    those not in `skip`; None when every one is skipped."""
    candidates = [i for i in range(len(spans)) if i not in skip]
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    best, best_score = candidates[0], -(10**9)
    for i, (start, end) in enumerate(spans):
        if i in skip:
            continue
        before = text[spans[i - 1][1] if i else 0 : start]
        after = text[end : spans[i + 1][0] if i + 1 < len(spans) else len(text)].strip()
        score = 0
        if _TARGET.search(before) or _TO.search(before):
            score += 2
        if _GOOD_AFTER.search(after):
            score += 2
        if _NEGATED.search(before) or _BAD_AFTER.search(after):
            score -= 3
        if _EXISTING_BEFORE.search(before) or (
            _EXISTING_AFTER.search(after) and i + 1 < len(spans)
        ):
            score -= 2
        if _LIMIT_BEFORE.search(before):
            score -= 2
        if score > best_score:
            best, best_score = i, score
    return best


def correcting(text: str, spans: list[tuple[int, int]], i: int) -> bool:
    """Whether mention `i` corrects an earlier one: a correcting word before it ("actually",
    "no, make it", "sorry, I meant"), or it follows a ruled-out mention ("not the 3rd, the 5th")."""
    if i == 0:
        return False
    before = text[spans[i - 1][1] : spans[i][0]]
    return bool(_CORRECTION.search(before)) or negated(text, spans, i - 1)


def past_reference(text: str, spans: list[tuple[int, int]], i: int) -> bool:
    """A day said after "since" or a past "was on" refers back in time ("a toothache since the
    weekend", "my last visit was on the 2nd")."""
    return bool(_PAST_BEFORE.search(text, max(0, spans[i][0] - 20), spans[i][0]))
