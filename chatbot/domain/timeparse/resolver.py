"""`resolve`: the one entry point tying normalization, grammar, grouping and choice together."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime

from .assemble import group, scan
from .choose import negated, past_reference, primary
from .combine import absorb_ranges, complete
from .meaning import mention
from .model import Mention, Resolution
from .normalize import normalize
from .options import DEFAULT_CONTEXT, ClinicContext
from .pieces import Env, Piece

# Words before a day that make it the first day recurring hours apply ("from next week").
_EFFECTIVE = re.compile(
    r"\b(?:from|starting|start|beginning|begining|as of|as from|effective|commencing"
    r"|with effect from)(?: from| on| with)? (?:the )?$"
)


def resolve(text: str, now: datetime, *, options: ClinicContext | None = None) -> Resolution:
    """Resolve the date/time a patient's message asks for, relative to aware `now`.

    Never raises on user text: impossible dates come back with `error` set. Raises
    ValueError only for a naive `now`.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    env = Env(now.replace(microsecond=0), options or DEFAULT_CONTEXT)
    normalized = normalize(text)
    groups = group(normalized, scan(normalized, env))
    if not groups:
        return Resolution()
    if len(groups) > 1:
        groups = absorb_ranges(normalized, groups, lambda s, i: negated(normalized, s, i))
    spans = [(pieces[0].start, pieces[-1].end) for pieces in groups]
    effective, used = _effective_from(normalized, groups, spans)
    mentions = tuple(
        _judged(normalized, spans, i, mention(normalized, pieces, env, effective.get(i)), pieces)
        for i, pieces in enumerate(groups)
    )
    earliest = any(m.earliest and not m.negated for m in mentions)
    vague = {i for i, m in enumerate(mentions) if m.earliest and m.date is None}
    skip = {i for i, m in enumerate(mentions) if m.negated} | used
    past = _past(normalized, spans, mentions, env.today)
    superseded = _superseded(mentions)
    chosen = None
    for ruled_out in (skip | vague | past | superseded, skip | vague, skip):
        chosen = primary(normalized, spans, ruled_out)
        if chosen is not None:
            break
    if chosen is None:  # every mention is ruled out ("not on Monday")
        return Resolution(mentions=mentions, earliest=earliest)
    found = mentions[chosen]
    if len(groups) > 1:
        lenders = set(range(len(groups))) - skip - vague - past
        whole = complete(normalized, groups, chosen, lenders, spans)
        if whole is not groups[chosen]:
            found = mention(normalized, whole, env, effective.get(chosen))
    return Resolution.from_mention(found, mentions, earliest=earliest)


def _superseded(mentions: tuple[Mention, ...]) -> set[int]:
    """Earlier mentions of a day the message then rules out ("the 28th at 10? Sorry, not the
    28th, the 31st"): not booked, though a correction may still borrow their time."""
    rejected = {m.date: i for i, m in enumerate(mentions) if m.negated and m.date}
    return {
        i
        for i, m in enumerate(mentions)
        if not m.negated and m.date in rejected and i < rejected[m.date]
    }


def _past(
    text: str, spans: list[tuple[int, int]], mentions: tuple[Mention, ...], today: date
) -> set[int]:
    """Mentions of days before today, or referred back to ("since the weekend")."""
    return {
        i
        for i, m in enumerate(mentions)
        if (m.date is not None and m.date < today) or past_reference(text, spans, i)
    }


def _judged(
    text: str, spans: list[tuple[int, int]], i: int, found: Mention, pieces: list[Piece]
) -> Mention:
    """Mark a mention the sentence rules out, unless a negation already turned it round."""
    if any(p.flipped for p in pieces) or not negated(text, spans, i):
        return found
    return replace(found, negated=True)


def _effective_from(
    text: str, groups: list[list[Piece]], spans: list[tuple[int, int]]
) -> tuple[dict[int, date], set[int]]:
    """For each recurring mention, the first day of "from next week"/"starting Monday" said
    with it; and the indices of those day-only mentions (they are not what is asked for)."""
    recurring = [
        i for i, pieces in enumerate(groups) if any(p.day and p.day.weekdays for p in pieces)
    ]
    if not recurring:
        return {}, set()
    found: dict[int, date] = {}
    used: set[int] = set()
    for j, pieces in enumerate(groups):
        days = [p.day for p in pieces if p.day]
        if j in recurring or not days or any(p.slots() - {"day"} for p in pieces):
            continue
        if not _EFFECTIVE.search(text, 0, spans[j][0]):
            continue
        target = min(recurring, key=lambda i: abs(i - j))
        if target not in found:
            found[target] = days[0].first
            used.add(j)
    return found, used
