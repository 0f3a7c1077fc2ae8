"""Pick the mention a sentence books when it names several.

"I can't do Monday, how about Wednesday at 3" books Wednesday; "move my Tuesday appointment to
Friday" books Friday. Each mention scores from the words around it: a target marker before it
("to", "how about", "make it", "instead", a correcting "no") raises it, a negation ("can't do
Monday", "Monday doesn't work") or a reference to an existing booking ("my Tuesday appointment",
"from Tuesday") lowers it. The highest score wins; ties go to the first mention.
"""

from __future__ import annotations

import re

_TARGET = re.compile(
    r"\b(?:how about|what about|make it|instead|rather|actually|prefer\w*|change it|switch it"
    r"|let'?s do|lets do|can we do|could we do|could you do|can you do|no|wait|better|sorry)\b"
)
_TO = re.compile(r"\b(?:to|into|until|for) (?:the )?$")
_NEGATED = re.compile(
    r"\b(?:can't|cannot|can not|cant|couldn't|not|won't|wont|don't|dont|unable|except|besides"
    r"|apart from|other than)(?: \S+){0,2} $"
)
_BAD_AFTER = re.compile(
    r"^(?:, )?(?:is |are |would be |will be )?(?:doesn't|does not|won't|will not|isn't|is not|"
    r"not|no good|bad|busy|out|full|taken|booked|impossible|difficult|tricky|off|is off)\b"
)
_GOOD_AFTER = re.compile(r"^(?:, )?(?:instead|would be better|works better|is better|rather)\b")
_EXISTING_BEFORE = re.compile(r"\b(?:my|our|current|existing|from|original)(?: \S+)? $")
_EXISTING_AFTER = re.compile(r"^(?:appointment|appt|booking|slot|visit|one|session|checkup)\b")


def primary(text: str, spans: list[tuple[int, int]]) -> int:
    """Index of the mention (given as character spans of `text`) the sentence books."""
    if len(spans) <= 1:
        return 0
    best, best_score = 0, -(10**9)
    for i, (start, end) in enumerate(spans):
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
        if score > best_score:
            best, best_score = i, score
    return best
