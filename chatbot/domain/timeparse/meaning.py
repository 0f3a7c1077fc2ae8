"""Turn one mention's pieces into a named date/time and a window of aware datetimes.

Rules (all in the clinic's zone, see `windows` for DST):
- exact time: `start` is that instant, `end` is `ClinicContext.exact_minutes` (60) later;
- time range ("between 2 and 4", "2-5pm"): that window; `time` is None (no single time named);
- open range: "after 3" -> 15:00 to closing (21:00); "before noon" -> opening (07:00) to 12:00;
- daypart: morning 08-12, afternoon 12-17, evening/night 17-21 ("early"/"late" = first/second
  half); a daypart next to a time only sets am/pm ("3 in the afternoon" -> 15:00);
- day(s) alone: local midnight of the first day to local midnight after the last;
- a time without a day: today while it is still ahead (for a window: while its end is ahead),
  otherwise tomorrow; `date` is always the date the window starts on.
- bare hours: read in clinic hours, am if that is open, else pm ("at 4" -> 16:00, "at 9" ->
  09:00; with 07:00-21:00 that is 1-6 -> pm, 7-11 -> am, 12 -> noon).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

from .lexicon import WEEKDAYS, ordinal_suffix
from .model import Mention
from .options import ClinicContext
from .pieces import Clock, ClockSpan, Day, Env, Piece
from .windows import day_start, later, local

Window = tuple[time, time | None]  # end None = the next midnight


def mention(
    text: str, pieces: list[Piece], env: Env, effective_from: date | None = None
) -> Mention:
    """One mention's meaning; `effective_from` moves a recurring set to its first occurrence
    on or after that day ("Mon-Thu 9-5 from the 1st")."""
    words = text[pieces[0].start : pieces[-1].end]
    error = next((p.error for p in pieces if p.error), None) or _mismatch(pieces)
    if error:
        return Mention(words, None, None, None, None, error)
    earliest = any(p.earliest for p in pieces)
    if earliest and all(p.earliest for p in pieces):
        start, zone = env.now, env.now.tzinfo
        assert zone is not None
        end = local(env.today + timedelta(days=EARLIEST_DAYS), start.time(), zone)
        return Mention(words, None, None, start, end, earliest=True)
    found = _meaning(words, pieces, env, effective_from)
    day = _day(pieces)
    if day and day.weekdays and found.start:
        daily = _daily(pieces, env.options)
        found = replace(
            found,
            weekdays=day.weekdays,
            daily_start=daily[0] if daily else None,
            daily_end=daily[1] if daily else None,
            effective_from=effective_from,
        )
    return replace(found, earliest=True) if earliest else found


def _meaning(words: str, pieces: list[Piece], env: Env, effective_from: date | None) -> Mention:
    day = _day(pieces)
    clock = next((p.clock for p in pieces if p.clock), None)
    span = next((p.span for p in pieces if p.span), None)
    part = next((p.part for p in pieces if p.part), None)
    instant = next((p.instant for p in pieces if p.instant), None)
    opts = env.options
    hint = None if part is None else "am" if part[0] == "morning" else "pm"
    if day and day.weekdays:
        day = _occurrence(day, effective_from, timed=bool(clock or span or part))
    if instant:
        return _exact(words, instant, instant.date(), instant.time(), opts)
    if clock:
        at = clock_time(clock, hint, opts)
        on = day.first if day else _exact_day(env, at)
        return _exact(words, local(on, at, env.now.tzinfo), on, at, opts)  # type: ignore[arg-type]
    window: Window | str | None = None
    if span:
        window = span_window(span, hint, opts)
    elif part:
        window = part_window(part, opts)
    if isinstance(window, str):
        return Mention(words, None, None, None, None, window)
    zone = env.now.tzinfo
    assert zone is not None
    if window:
        on = day.first if day else _today_or_tomorrow(env, window[0], window[1])
        start = local(on, window[0], zone)
        if day and day.since and day.since > start:
            start = day.since
        end = local(on, window[1], zone) if window[1] else day_start(on + timedelta(days=1), zone)
        return Mention(words, on, None, start, end)
    assert day is not None
    start = day.since or day_start(day.first, zone)
    return Mention(words, start.date(), None, start, day_start(day.last + timedelta(1), zone))


def _daily(pieces: list[Piece], opts: ClinicContext) -> tuple[time, time] | None:
    """The wall-clock hours of a recurring mention ("Mon-Thu 9-5" -> 09:00, 17:00); an end of
    00:00 means midnight. None when it names whole days."""
    clock = next((p.clock for p in pieces if p.clock), None)
    span = next((p.span for p in pieces if p.span), None)
    part = next((p.part for p in pieces if p.part), None)
    hint = None if part is None else "am" if part[0] == "morning" else "pm"
    if clock:
        at = clock_time(clock, hint, opts)
        minutes = at.hour * 60 + at.minute + opts.exact_minutes
        return at, time((minutes // 60) % 24, minutes % 60)
    window = span_window(span, hint, opts) if span else part_window(part, opts) if part else None
    if window is None or isinstance(window, str):
        return None
    return window[0], window[1] or time(0)


EARLIEST_DAYS = 14  # "asap" alone: the bot offers the first free slots in the next two weeks


def _occurrence(day: Day, since: date | None, *, timed: bool) -> Day:
    """The first occurrence of a recurring set: with hours, its first day on or after `since`
    (else `day.first`); a whole-day range ("Mon-Thu") rolls by weeks to start on or after it."""
    assert day.weekdays is not None
    if since is None:
        first = day.first
    elif not timed and day.first != day.last:
        weeks = max(0, -((day.first - since).days // 7))
        return replace(
            day, first=day.first + timedelta(weeks=weeks), last=day.last + timedelta(weeks=weeks)
        )
    else:
        first = since
    while first.isoweekday() not in day.weekdays:
        first += timedelta(days=1)
    return replace(day, first=first, last=first) if timed or day.first == day.last else day


def _day(pieces: list[Piece]) -> Day | None:
    """The day a mention names: an explicit day over a bare weekday ("Friday the 24th"), but a
    weekday inside a range of days is that weekday there ("next week, Tuesday")."""
    days = [p.day for p in pieces if p.day]
    explicit = [d for d in days if not d.weekday]
    named = [d for d in days if d.weekday]
    if explicit and named and explicit[0].first < explicit[0].last:
        inside = _weekday_in(explicit[0], named[0].first.weekday())
        if inside is not None:
            return inside
    if explicit and named and explicit[0].approximate:
        return named[0]  # "in a few days, say Tuesday": the Tuesday
    if explicit and named and explicit[0].week_ahead:
        week = explicit[0].first - timedelta(days=explicit[0].first.weekday())
        return _weekday_in(Day(week, week + timedelta(days=6)), named[0].first.weekday())
    chosen = explicit or days
    return chosen[0] if chosen else None


def _weekday_in(days: Day, weekday: int) -> Day | None:
    if days.weekdays is not None:
        return None
    first = days.first + timedelta(days=(weekday - days.first.weekday()) % 7)
    return Day(first, first) if first <= days.last else None


def _mismatch(pieces: list[Piece]) -> str | None:
    """ "Friday the 23rd" when the 23rd is a Thursday: say so rather than guess."""
    days = [p.day for p in pieces if p.day]
    named = [d for d in days if d.weekday]
    explicit = [d for d in days if not d.weekday and d.weekdays is None]
    if not (named and explicit) or explicit[0].first != explicit[0].last:
        return None
    if explicit[0].week_ahead or explicit[0].approximate:
        return None  # "in 2 weeks on the Tuesday", "in a few days, Tuesday": see `_day`
    said, actual = named[0].first.weekday(), explicit[0].first
    if said == actual.weekday():
        return None
    return (
        f"{actual:%B} {ordinal_suffix(actual.day)} is a {WEEKDAYS[actual.weekday()].capitalize()},"
        f" not a {WEEKDAYS[said].capitalize()}"
    )


def _exact(words: str, start: datetime, on: date, at: time, opts: ClinicContext) -> Mention:
    return Mention(words, on, at, start, later(start, timedelta(minutes=opts.exact_minutes)))


def _exact_day(env: Env, at: time) -> date:
    zone = env.now.tzinfo
    assert zone is not None
    ahead = local(env.today, at, zone) > env.now
    return env.today if ahead else env.today + timedelta(days=1)


def _today_or_tomorrow(env: Env, start: time, end: time | None) -> date:
    """Today while the time (or the window's end) is still ahead, else tomorrow."""
    zone = env.now.tzinfo
    assert zone is not None
    today = env.today
    edge = day_start(today + timedelta(days=1), zone) if end is None else local(today, end, zone)
    return today if edge > env.now else today + timedelta(days=1)


def clock_time(clock: Clock, hint: str | None, opts: ClinicContext) -> time:
    hour = clock.hour
    meridiem = clock.meridiem or (None if clock.fixed else hint)
    if clock.fixed:
        pass
    elif meridiem == "am":
        hour = 0 if hour == 12 and clock.meridiem else hour
    elif meridiem == "pm":
        hour = hour + 12 if hour < 12 else hour
    elif hour < 12 and not opts.is_open_at(hour, clock.minute):
        hour = hour + 12 if opts.is_open_at(hour + 12, clock.minute) else hour
    return time(hour, clock.minute)


def readings(clock: Clock) -> list[time]:
    """The times of day a clock may mean: one when fixed, said with am/pm or past 12."""
    if clock.fixed or clock.meridiem or clock.hour >= 12:
        return [clock_time(clock, None, ClinicContext())]
    return [time(clock.hour, clock.minute), time(clock.hour + 12, clock.minute)]


def span_window(span: ClockSpan, hint: str | None, opts: ClinicContext) -> Window | str:
    first, last = span.start, span.end
    if first is None and last is not None:
        return opts.opens, clock_time(last, hint, opts)
    if last is None and first is not None:
        start = clock_time(first, hint, opts)
        return start, opts.closes if start < opts.closes else None
    assert first is not None and last is not None
    if last.meridiem and not first.meridiem and not first.fixed:
        end = clock_time(last, None, opts)
        same = clock_time(first, last.meridiem, opts)
        morning = clock_time(first, "am", opts)
        # "10-2pm" is 10:00-14:00; "between 4 and 2pm" is backwards (04:00 is not clinic time)
        start = same if same < end or not opts.is_open_at(morning.hour, morning.minute) else morning
    else:
        start = clock_time(first, hint, opts)
        later_ = [t for t in readings(last) if t > start] if not hint else []
        end = later_[0] if later_ else clock_time(last, hint, opts)
    if end <= start and end != time(0):
        return "the time range ends before it starts"
    return start, None if end == time(0) else end


def part_window(part: tuple[str, str | None], opts: ClinicContext) -> Window:
    name, half = part
    start, end = opts.part(name)
    if half is None:
        return start, end
    mid_minutes = (start.hour * 60 + start.minute + end.hour * 60 + end.minute) // 2
    mid = time(*divmod(mid_minutes, 60))
    return (start, mid) if half == "early" else (mid, end)
