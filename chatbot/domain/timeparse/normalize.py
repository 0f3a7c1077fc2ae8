"""Turn a patient's message into one canonical, lower-case, space-separated token string.

Spelling is repaired ("tmrw", "wednsday", "mondy"), number words become digits ("three thirty"
-> "3:30", "twenty-first" -> "21st"), "p.m." becomes "pm"; the end of a sentence (".", "?",
"!") becomes ".", other punctuation ",". The grammar then matches regular expressions against
this string; `combine` reads the "." tokens as sentence boundaries.

"one" is the number 1 only next to a time word ("one pm", "at one", "one thirty", "in one
week"); otherwise it is a pronoun ("I'd like one for tomorrow", "the 2pm one").
"""

from __future__ import annotations

import re
from functools import lru_cache

from .lexicon import (
    CONTEXT_WEEKDAYS,
    FUZZY_TARGETS,
    MONTH_INDEX,
    NOT_A_DAY_AFTER,
    NOT_TYPOS,
    NOT_WEEKDAY_AFTER,
    NOT_WEEKDAY_BEFORE,
    ORDINAL_TENS,
    ORDINAL_UNITS,
    SPELLING,
    TENS,
    UNITS,
    WEEKDAYS,
    ordinal_suffix,
)

_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2212": "-", "\u2019": "'"})
_MERIDIEM = re.compile(r"(\d)\s*([ap])\.?\s?m\b\.?|(\d)\s*([ap])\b(?!')")
# ISO 8601 date-times ("2027-01-06T10:00:00+01:00") as "2027-01-06 at 10:00": the wall time
# as written, read in the clinic's zone.
_ISO_DATETIME = re.compile(
    r"\b(\d{4}-\d{2}-\d{2})t(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(?:z|[+-]\d{2}:?\d{2})?(?![\d:])"
)
_OCLOCK = re.compile(r"\bo\s?['\"`´]?\s?clock\b")
# A dot after an abbreviated day or month ("Mon.", "Dec.") does not end a sentence.
_ABBREVIATION_DOT = re.compile(
    r"\b(mon|tue|tues|wed|weds|thu|thur|thurs|fri|sat|sun|jan|feb|mar|apr|jun|jul|aug|sep|sept"
    r"|oct|nov|dec)\.(?!\S)"
)
_SENTENCE_END = re.compile(r"[!?]+|\.(?!\d)")
_CLAUSE = re.compile(r"[,;()\"]|\s-\s*$")
_TOKEN = re.compile(
    r"\d+(?:st|nd|rd|th)\b|\d{1,2}h\d{0,2}\b|\d{1,4}(?:[/.:\-]\d{1,4})*|[a-z0-9]+(?:'[a-z]+)?|[,.\-]"
)


def normalize(text: str) -> str:
    text = text.lower().translate(_DASHES)
    text = _ISO_DATETIME.sub(r"\1 at \2", text)
    text = _MERIDIEM.sub(_meridiem, text)
    text = _OCLOCK.sub(" oclock", text).replace("@", " at ").replace("&", " and ")
    text = " ".join(SPELLING.get(word, word) for word in text.split())
    text = _ABBREVIATION_DOT.sub(r"\1", text)
    text = _SENTENCE_END.sub(" . ", _CLAUSE.sub(" , ", text))
    tokens = _context_words([_spell(token) for token in _TOKEN.findall(text)])
    return " ".join(_numbers(tokens))


# "one" is the number 1 next to these words; elsewhere a pronoun ("I'd like one", "the 2pm one").
_NUMBER_AFTER = frozenset(
    {"oclock", "am", "pm", "ish", "-", "to", "till", "until", "and", "or", "fifteen", *TENS}
    | {"hour", "hours", "minute", "minutes", "day", "days", "week", "weeks", "month", "months"}
)
_NUMBER_BEFORE = frozenset(
    {"at", "around", "about", "by", "till", "until", "til", "from", "between", "and", "to", "past"}
    | {"after", "before", "half", "quarter", "approx", "approximately", "roughly", "say"}
)
_MINUTE_WORDS = {"fifteen": 15, **TENS}
_NUMBER_WORDS = frozenset({*UNITS, *TENS, *ORDINAL_UNITS, *ORDINAL_TENS})


def _context_words(tokens: list[str]) -> list[str]:
    """ "sun"/"sat" as weekdays unless used as words ("the sun is out", "I sat down")."""
    for i, token in enumerate(tokens):
        before = tokens[i - 1] if i else ""
        if token in CONTEXT_WEEKDAYS:
            after = tokens[i + 1] if i + 1 < len(tokens) else ""
            if before not in NOT_WEEKDAY_BEFORE and after not in NOT_WEEKDAY_AFTER:
                tokens[i] = CONTEXT_WEEKDAYS[token]
    return tokens


def _meridiem(match: re.Match[str]) -> str:
    digit = match.group(1) or match.group(3)
    letter = match.group(2) or match.group(4)
    return f"{digit} {letter}m "


@lru_cache(maxsize=4096)
def _spell(token: str) -> str:
    """Spelling repair; one typo away from a longer word ("wednsday"), or a dropped letter of
    a six-letter weekday ("mondy", "fridy")."""
    token = SPELLING.get(token, token)
    if len(token) < 5 or not token.isalpha() or token in NOT_TYPOS or token in FUZZY_TARGETS:
        return token
    for target in FUZZY_TARGETS if len(token) > 5 else WEEKDAYS:
        if abs(len(target) - len(token)) <= 1 and _one_edit(token, target):
            return target
    return token


def _one_edit(a: str, b: str) -> bool:
    """True when `a` turns into `b` by one insertion, deletion, substitution or swap."""
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _numbers(tokens: list[str]) -> list[str]:
    """Number words to digits; ordinal words only where they read as a day ("the first")."""
    if _NUMBER_WORDS.isdisjoint(tokens):
        return tokens
    out: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        after = tokens[i + 2] if nxt == "-" and i + 2 < len(tokens) else nxt
        step = 2 if nxt == "-" else 1
        clock = _clock_words(tokens, i)
        if clock:
            out.append(clock[0])
            i += clock[1]
            continue
        if token in TENS and (after in UNITS and UNITS[after] < 10 and UNITS[after] > 0):
            out.append(str(TENS[token] + UNITS[after]))
            i += 1 + step
            continue
        if token in TENS and after in ORDINAL_UNITS and ORDINAL_UNITS[after] < 10:
            value = TENS[token] + ORDINAL_UNITS[after]
            out.append(_ordinal_or_words(out, tokens, i + 1 + step, value, f"{token} {after}"))
            i += 1 + step
            continue
        if token == "one" and _pronoun(out[-1] if out else "", nxt):
            out.append(token)
        elif token in UNITS:
            out.append(str(UNITS[token]))
        elif token in TENS:
            out.append(str(TENS[token]))
        elif token in ORDINAL_UNITS or token in ORDINAL_TENS:
            value = ORDINAL_UNITS.get(token) or ORDINAL_TENS[token]
            out.append(_ordinal_or_words(out, tokens, i + 1, value, token))
        else:
            out.append(token)
        i += 1
    return out


def _clock_words(tokens: list[str], i: int) -> tuple[str, int] | None:
    """ "eleven thirty" -> "11:30", "four forty-five" -> "4:45": an hour word then minute words;
    the text and how many tokens it took."""
    hour = UNITS.get(tokens[i], 0)
    words = tokens[i + 1 : i + 5]
    if not 1 <= hour <= 12 or not words or words[0] not in _MINUTE_WORDS:
        return None
    minute, used = _MINUTE_WORDS[words[0]], 2
    rest = words[2:] if words[1:2] == ["-"] else words[1:]
    if minute >= 20 and rest and rest[0] in UNITS and 1 <= UNITS[rest[0]] <= 9:
        minute += UNITS[rest[0]]
        used += 2 if words[1:2] == ["-"] else 1
    return f"{hour}:{minute:02d}", used


_ORDINAL = re.compile(r"\d+(?:st|nd|rd|th)")


def _pronoun(before: str, after: str) -> bool:
    """ "the 1st one or the 3rd", "the one or the other": after an ordinal, or after "the"
    and before "or"/"and", "one" is a pronoun ("the one oclock slot" stays 1)."""
    if _ORDINAL.fullmatch(before) or before in ORDINAL_UNITS:
        return True
    if before == "the" and after in ("or", "and"):
        return True
    return after not in _NUMBER_AFTER and before not in _NUMBER_BEFORE


def _ordinal_or_words(out: list[str], tokens: list[str], nxt: int, value: int, words: str) -> str:
    before = out[-1] if out else ""
    after = tokens[nxt] if nxt < len(tokens) else ""
    if after in NOT_A_DAY_AFTER:
        return words
    if before in ("the", "on") or before in MONTH_INDEX or after == "of" or after in MONTH_INDEX:
        return ordinal_suffix(value)
    return words
