"""Find the grammar's pieces in a normalized utterance and group them into mentions.

Every rule runs over the text; overlapping matches are settled longest-first. Neighbouring
pieces joined only by filler words ("at", "on", "in the", ",") form one mention when they fill
different roles (a day, a clock time, a daypart): "next Tuesday" + "afternoon". Two days joined
by "-"/"to"/"till" form a range ("Mon-Thu"), unless the sentence moves an appointment; a range of
weekdays also carries them as a set. Weekdays listed with "and" ("tuesdays and thursdays",
"mon, wed and fri") form one recurring set whose first occurrence is the earliest of them.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from . import clock, dates, periods, ranges, vague
from .pieces import DIGIT, Day, Env, Piece, add_months

RULES = dates.RULES + periods.RULES + clock.RULES + ranges.RULES + vague.RULES

# Words that may sit between two pieces of one mention ("tomorrow at 3", "evening slot on 23/5").
_FILLER_WORDS = (
    ", at on in the of for around about by - say maybe sometime some time anytime any preferably"
    " ideally please like during over ish earliest latest slot slots appointment appt booking"
    " one"
)
_FILLER = frozenset(_FILLER_WORDS.split(" "))
_RANGE_WORDS = frozenset({"-", "to", "till", "until", "through"})
_DIGIT = re.compile(r"[0-9]")
_MOVE = re.compile(r"\b(?:move|moving|moved|reschedul\w*|change|switch|swap|push|shift|postpone)\b")


def scan(text: str, env: Env) -> list[Piece]:
    """All pieces in `text`, non-overlapping, in reading order."""
    found: list[Piece] = []
    has_digit = _DIGIT.search(text) is not None
    for pattern, handler, needs in RULES:
        if needs is DIGIT:
            if not has_digit:
                continue
        elif needs:
            for word in needs:
                if word in text:
                    break
            else:
                continue  # none of the words the rule needs: it cannot match
        for match in pattern.finditer(text):
            fields = handler(match, env)
            if fields is not None:
                found.append(Piece(match.start(), match.end(), **fields))  # type: ignore[arg-type]
    found.sort(key=lambda p: (p.start - p.end, p.start))
    chosen: list[Piece] = []
    for piece in found:
        if all(piece.end <= other.start or piece.start >= other.end for other in chosen):
            chosen.append(piece)
    chosen.sort(key=lambda p: p.start)
    return chosen


def group(text: str, pieces: list[Piece]) -> list[list[Piece]]:
    """Pieces that belong together, one list per mention."""
    pieces = _merge_day_ranges(text, pieces)
    groups: list[list[Piece]] = []
    for piece in pieces:
        if groups and _joins(text, groups[-1], piece):
            groups[-1].append(piece)
        else:
            groups.append([piece])
    return groups


def _joins(text: str, current: list[Piece], piece: Piece) -> bool:
    gap = text[current[-1].end : piece.start].split()
    if not all(word in _FILLER for word in gap):
        return False
    taken = frozenset().union(*(p.slots() for p in current))
    clash = taken & piece.slots()
    if not clash:
        return True
    if clash == {"day"} and not piece.error:
        days = [p.day for p in current if p.day] + [piece.day]
        return sum(bool(d and d.weekday) for d in days) == 1 and len(days) == 2
    return False


def _merge_day_ranges(text: str, pieces: list[Piece]) -> list[Piece]:
    out: list[Piece] = []
    for piece in pieces:
        prev = out[-1] if out else None
        if prev and _is_day_range(text, prev, piece):
            assert prev.day and piece.day
            last = _roll_past(piece.day, prev.day)
            day = Day(prev.day.first, last.last, roll=None)
            if (
                _is_weekday(prev.day)
                and _is_weekday(piece.day)
                and (last.last - day.first).days < 7
            ):
                span = (last.last - day.first).days + 1
                days = {(day.first + timedelta(days=i)).isoweekday() for i in range(span)}
                day = replace(day, weekdays=tuple(sorted(days)))
            out[-1] = replace(prev, end=piece.end, day=day)
        elif prev and _is_weekday_list(text, prev, piece):
            assert prev.day and piece.day
            days = set(prev.day.weekdays or (prev.day.first.isoweekday(),))
            days |= set(piece.day.weekdays or (piece.day.first.isoweekday(),))
            first = min(prev.day.first, piece.day.first)
            set_day = Day(first, first, roll="week", weekdays=tuple(sorted(days)))
            out[-1] = replace(prev, end=piece.end, day=set_day)
        else:
            out.append(piece)
    return out


def _is_weekday(day: Day) -> bool:
    """A day named only by its weekday(s) ("Friday", "mondays", "Tue and Thu")."""
    return day.weekday or (day.weekdays is not None and day.first == day.last)


def _is_weekday_list(text: str, a: Piece, b: Piece) -> bool:
    if not (a.day and b.day and _is_weekday(a.day) and _is_weekday(b.day)):
        return False
    if a.slots() != {"day"} or b.slots() != {"day"}:
        return False
    gap = [w for w in text[a.end : b.start].split() if w != "on"]
    if gap in (["and"], [",", "and"]):
        return True
    # "mon, wed and fri": a comma continues a list that an "and" closes later on, or a set
    listed = a.day.weekdays is not None and len(a.day.weekdays) > 1
    return gap == [","] and (listed or bool(re.match(r" (?:and|,) ?\S", text[b.end :])))


def _is_day_range(text: str, a: Piece, b: Piece) -> bool:
    if not (a.day and b.day) or a.slots() != {"day"} or b.slots() != {"day"}:
        return False
    gap = text[a.end : b.start].split()
    gap = [w for w in gap if w not in ("the", "on")]
    if gap == ["and"]:
        between = text[: a.start].split()[-1:]
        return between == ["between"]
    return len(gap) == 1 and gap[0] in _RANGE_WORDS and not _MOVE.search(text, 0, a.start)


def _roll_past(day: Day, after: Day) -> Day:
    """Move a floating day forward until it is not before `after` ("Fri-Mon")."""
    while day.first < after.first and day.roll:
        if day.roll == "week":
            step = timedelta(weeks=1)
            day = replace(day, first=day.first + step, last=day.last + step)
        else:
            months = 12 if day.roll == "year" else 1
            first = add_months(day.first, months)
            day = replace(day, first=first, last=first)
    return day
