"""Whole-message resolution: complete the mention a message books with what it says elsewhere.

Patients spread one request over clauses and sentences ("Book me on the 14th. Anything around
3?"). After `assemble` has grouped adjacent pieces into mentions and `choose` has picked the
one the message books (the primary), these rules fill in what the primary leaves out. Each
mention fills two roles, a day and a time of day (a clock time, a range, or a daypart);
sentences end at ".", "?" and "!".

1. A weekday said right after a range of days it falls in (same or next sentence) is that
   weekday inside the range: "next week, Tuesday at 10", "the week after next? Tuesday around
   11" (but "since the weekend, can I come Friday" keeps the two apart).
2. A correction borrows what it does not name from the mention it corrects, the nearest earlier
   one that names it: "Tuesday at 10, no sorry, 11am" is Tuesday 11:00; "Wednesday at 3.
   Actually, make it Thursday" is Thursday 15:00; "the 28th at 10? Sorry, not the 28th, the
   31st" is the 31st at 10:00. A correction is a mention after a correcting word ("actually",
   "instead", "rather", "make it", "how about", "no", "sorry", "I mean", see `choose`) or right
   after a ruled-out one ("not X, Y").
3. Alternatives share a time said once: "Monday or Tuesday at 9:30" is Monday 09:30.
4. A time without a day takes the day of the nearest mention that names only a day: in the
   same sentence, else the closest earlier sentence, else the closest later one.
5. A day without a time takes the time of the nearest mention that names only a time: later in
   the same sentence, else the following sentences, else earlier in the same sentence, else
   earlier sentences.
6. A later clock time or range refines an earlier daypart (same or next sentence), also one
   borrowed by rule 5: "tomorrow afternoon. Say 2:15?" is 14:15; "in the evening on the 25th?
   After 6" is 18:00-21:00; "Next Thursday? In the morning, around 9:30" is 09:30.
7. A later clock time (same or next sentence) that one of its readings puts less than six
   hours inside an earlier open range replaces the range: "Monday after school, like 3:30" is
   15:30; "after lunch, 1:30 if possible" is 13:30; "before 11, say 10" is 10:00. One reading
   inside fixes it (15:30, not 03:30); with two the clinic hours choose, as for any clock.

Mentions that are ruled out ("not the 3rd"), in the past or referring to it ("since the
weekend"), or only "asap" never lend anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from .choose import correcting
from .meaning import readings
from .pieces import Clock, ClockSpan, Piece

Spans = list[tuple[int, int]]
_ALTERNATIVE = re.compile(r"^ (?:, )?or (?:maybe |perhaps |else )?$")


def sentence_of(text: str, spans: Spans) -> list[int]:
    """The index of the sentence each span starts in."""
    return [text.count(" . ", 0, start + 1) for start, _ in spans]


def has_day(pieces: list[Piece]) -> bool:
    return any(p.day or p.instant or p.error for p in pieces)


def has_time(pieces: list[Piece]) -> bool:
    return any(p.clock or p.span or p.part or p.instant or p.error for p in pieces)


def _exact_time(pieces: list[Piece]) -> bool:
    return any(p.clock or p.span or p.instant for p in pieces)


def _day_pieces(pieces: list[Piece]) -> list[Piece]:
    return [p for p in pieces if p.day]


def _time_pieces(pieces: list[Piece]) -> list[Piece]:
    return [p for p in pieces if (p.clock or p.span or p.part) and not p.day]


def absorb_ranges(
    text: str, groups: list[list[Piece]], ruled_out: Callable[[Spans, int], bool]
) -> list[list[Piece]]:
    """Rule 1: a day-only range of days followed (same or next sentence) by a mention of a
    bare weekday moves into that mention, which then means the weekday inside the range."""
    spans = [(g[0].start, g[-1].end) for g in groups]
    sentence = sentence_of(text, spans)
    out: list[list[Piece]] = []
    skip = -1
    for i, pieces in enumerate(groups):
        if i == skip:
            continue
        j = i + 1
        if (
            j < len(groups)
            and _is_range_only(pieces)
            and _weekday_inside(groups[j], pieces)
            and sentence[j] - sentence[i] <= 1
            and not ruled_out(spans, j)
        ):
            out.append(sorted(pieces + groups[j], key=lambda p: p.start))
            skip = j
        else:
            out.append(pieces)
    return out


def _is_range_only(pieces: list[Piece]) -> bool:
    days = [p.day for p in pieces if p.day]
    return (
        len(days) == 1
        and not has_time(pieces)
        and days[0].first != days[0].last
        and days[0].weekdays is None
    )


def _weekday_inside(pieces: list[Piece], outer: list[Piece]) -> bool:
    """`pieces` name only a bare weekday, and it falls inside the range `outer` names."""
    days = [p.day for p in pieces if p.day]
    if not days or not all(d.weekday and d.weekdays is None for d in days):
        return False
    (span,) = [p.day for p in outer if p.day]
    return (span.last - span.first).days >= 6 or any(
        (span.first + timedelta(days=n)).weekday() == days[0].first.weekday()
        for n in range((span.last - span.first).days + 1)
    )


def complete(
    text: str, groups: list[list[Piece]], chosen: int, lenders: Collection[int], spans: Spans
) -> list[Piece]:
    """The primary's pieces plus what rules 2-6 borrow for it from the mentions in `lenders`."""
    own = groups[chosen]
    sentence = sentence_of(text, spans)
    own = _narrowed(
        own, [groups[i] for i in lenders if i > chosen and sentence[i] - sentence[chosen] <= 1]
    )
    day, time = has_day(own), has_time(own)
    refine = time and not _exact_time(own)
    if day and time and not refine:
        return own
    others = [i for i in lenders if i != chosen]
    fix = correcting(text, spans, chosen)
    borrowed: list[Piece] = []
    if not day:
        source = _corrected(others, chosen, groups, has_day) if fix else None
        if source is None:
            day_only = [has_day(g) and not has_time(g) for g in groups]
            source = _nearest(others, chosen, sentence, day_only)
        if source is not None:
            borrowed += _day_pieces(groups[source])
    part_from = chosen if refine else None
    if not time:
        source = _corrected(others, chosen, groups, has_time) if fix else None
        if source is None:
            source = _alternative(text, groups, chosen, spans)
        if source is None:
            time_only = [has_time(g) and not has_day(g) for g in groups]
            source = _following(others, chosen, sentence, time_only)
        if source is not None:
            borrowed += _time_pieces(groups[source])
            part_from = None if _exact_time(groups[source]) else source
    if part_from is not None:  # rule 6, also for a daypart borrowed above
        later = [
            i
            for i in others
            if i > part_from and sentence[i] - sentence[part_from] <= 1 and i != chosen
        ]
        source = next((i for i in later if _exact_time(groups[i]) and not has_day(groups[i])), None)
        if source is not None:
            borrowed += _time_pieces(groups[source])
    if not borrowed:
        return own
    return sorted(own + borrowed, key=lambda p: p.start)


def _corrected(
    others: list[int], chosen: int, groups: list[list[Piece]], fills: Callable[[list[Piece]], bool]
) -> int | None:
    """Rule 2: the nearest earlier mention that names the role the correction leaves out."""
    earlier = [i for i in others if i < chosen and fills(groups[i])]
    return max(earlier) if earlier else None


def _alternative(text: str, groups: list[list[Piece]], chosen: int, spans: Spans) -> int | None:
    """Rule 3: "Monday or Tuesday at 9:30": the next mention, joined by "or", lends its time."""
    nxt = chosen + 1
    if nxt >= len(groups) or not (has_day(groups[nxt]) and has_time(groups[nxt])):
        return None
    gap = text[spans[chosen][1] : spans[nxt][0]]
    return nxt if _ALTERNATIVE.match(gap) else None


def _nearest(others: list[int], chosen: int, sentence: list[int], fits: list[bool]) -> int | None:
    """Rule 4: same sentence (closest), then earlier sentences (latest first), then later."""
    here = sentence[chosen]

    def rank(i: int) -> tuple[int, int, int]:
        if sentence[i] == here:
            return (0, abs(i - chosen), 0)
        if sentence[i] < here:
            return (1, here - sentence[i], -i)
        return (2, sentence[i] - here, i)

    found = [i for i in others if fits[i]]
    return min(found, key=rank) if found else None


def _following(others: list[int], chosen: int, sentence: list[int], fits: list[bool]) -> int | None:
    """Rule 5: later in the same sentence, then later sentences, then earlier (closest first)."""

    def rank(i: int) -> tuple[int, int]:
        if i > chosen:
            return (0 if sentence[i] == sentence[chosen] else 1, i)
        return (2 if sentence[i] == sentence[chosen] else 3, -i)

    found = [i for i in others if fits[i]]
    return min(found, key=rank) if found else None


INSIDE = timedelta(hours=6)  # how far into an open range a later clock time may refine it


def _narrowed(own: list[Piece], later: list[list[Piece]]) -> list[Piece]:
    """Rule 7: the first later bare clock time inside an open range of `own` replaces it."""
    ranged = next(
        (p for p in own if p.span and (p.span.start is None) != (p.span.end is None)), None
    )
    if ranged is None or ranged.span is None:
        return own
    for pieces in later:
        clocks = [p for p in pieces if p.clock and not p.day and not p.span]
        if len(clocks) != len(pieces) or len(clocks) != 1:
            continue
        assert clocks[0].clock is not None
        inside = _inside(ranged.span, clocks[0].clock)
        if not inside:
            return own
        clock = clocks[0].clock
        if len(inside) == 1:
            clock = Clock(inside[0].hour, inside[0].minute, fixed=True)
        narrowed = replace(clocks[0], clock=clock)
        return sorted([p for p in own if p is not ranged] + [narrowed], key=lambda p: p.start)
    return own


def _inside(span: ClockSpan, clock: Clock) -> list[time]:
    """The readings of `clock` less than INSIDE into the open range `span`."""
    edge = span.start or span.end
    assert edge is not None
    day = date(2000, 1, 3)
    found = set()
    for e in readings(edge):
        for c in readings(clock):
            gap = datetime.combine(day, c) - datetime.combine(day, e)
            if (span.start and timedelta(0) <= gap < INSIDE) or (
                span.end and -INSIDE < gap <= timedelta(0)
            ):
                found.add(c)
    return sorted(found)
