"""`resolve`: the one entry point tying normalization, grammar, grouping and choice together."""

from __future__ import annotations

from datetime import datetime

from .assemble import group, scan
from .choose import primary
from .meaning import mention
from .model import Resolution
from .normalize import normalize
from .options import DEFAULT_CONTEXT, ClinicContext
from .pieces import Env


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
    mentions = tuple(mention(normalized, pieces, env) for pieces in groups)
    spans = [(pieces[0].start, pieces[-1].end) for pieces in groups]
    chosen = primary(normalized, spans)
    return Resolution.from_mention(mentions[chosen], mentions)
