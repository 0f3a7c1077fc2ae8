"""Time phrase resolver: what date, time and window a patient's message asks for.

    >>> from datetime import datetime
    >>> from zoneinfo import ZoneInfo
    >>> now = datetime(2024, 5, 17, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    >>> r = resolve("next Tuesday afternoon", now)
    >>> r.date.isoformat(), r.start.isoformat(), r.end.isoformat()
    ('2024-05-21', '2024-05-21T12:00:00+02:00', '2024-05-21T17:00:00+02:00')

Conventions (details in `meaning` and `windows`):
- an exact time ("at 3pm") is the window [that instant, +60 min]; `time` is set only then;
- "<weekday>", "on/next/coming <weekday>" is the first such day after today; only
  "this <weekday>" may be today; "<weekday> next week" is that day in the next Monday-Sunday week;
- "next week" is next Monday 00:00 to the Monday after; "this week" now to Sunday's end;
  "weekend" the coming Saturday 00:00 to Monday 00:00; "next weekend" the one in next week;
- "the 13th" is the next 13th that is today or later; "March 7" the next March 7 from today;
- numeric dates follow `ClinicContext.locale` ("dmy" default), unless only the other order is
  a real date; ISO dates are always year-month-day;
- ranges of days ("24-28 Dec", "Mon-Thu") run from the first day's midnight to the midnight
  after the last day;
- several mentions: all are in `Resolution.mentions`, each resolved on its own; the one the
  message books (see `choose`) fills the top-level fields, completed from the whole message
  (see `combine`): "Book me on the 14th. Anything around 3?" is the 14th at 15:00, "Tuesday at
  10, no sorry, 11am" Tuesday at 11:00, "tomorrow afternoon. Say 2:15?" 14:15 tomorrow; a day in
  the past or said after "since" is not the one booked while another is named;
- nonsense gives an empty Resolution; impossible dates/times ("February 30", "25:00") give
  `error` and None fields, never an exception;
- recurring hours ("Mon-Thu 9-5", "tuesdays and thursdays 10-2", "weekdays 8am-4pm") set
  `weekdays` (sorted ISO 1-7), `daily_start`/`daily_end` and, with "from next week"/"starting
  Monday"/"from the 1st", `effective_from`; `start`/`end` are the first occurrence after today
  (on or after `effective_from`);
- "asap", "first available", "whenever" set `earliest`; alone they mean now .. now + 14 days
  with `date` None;
- past days resolve as such ("last Friday", "yesterday at 3", "3 days ago"); the caller refuses;
- negation: "can't come before 4" is after 4; a mention ruled out ("not on Monday", "Monday is
  no good") is never the primary one, and when nothing else is named the fields stay None;
- "Friday 24", "fri 24th": the day must be that weekday, else `error` ("May 23rd is a Thursday,
  not a Friday"); "the 2pm one", "the 3 one" are times, "on the 2nd" a date;
- picks from a list are no date: an ordinal before "one", "option", "slot", "choice" ("the 1st
  one", "2nd option", "the 1st one or the 3rd one"); "the 1st", "on the 1st" stay days;
- weeks ahead: "in 2 weeks on the Tuesday", "in a fortnight on the Friday", "Tuesday in 2
  weeks", "2 weeks on the Tuesday" are that weekday in the Monday-Sunday week holding today +
  N weeks (for N=1 the same as "Tuesday next week"); counted from a weekday instead: "2 weeks
  from Tuesday", British "a week on Tuesday", "2 weeks on Tuesday" (no "the") are the next
  Tuesday + N weeks; "Tuesday week" / "Tuesday fortnight" the next Tuesday + 1 / 2 weeks;
- two plain hours ("12 to 1", "8 till 4", "half 12 to 1", "12 noon to 1") are a range read in
  clinic hours (12:00-13:00, 08:00-16:00), before or after a day, except: a first number of
  5, 10, 15, 20 or 25 is minutes before the hour ("10 to 3" = 14:50, as "ten to three"; say
  "from 10 to 3" for a range), but straight after a day ("Tuesday 10 to 3") it is a range; a
  plural noun after them or a score word before ("2 to 3 fillings", "pain is 7 to 8") makes
  them counts; "quarter to 1" is 12:45;
- DST: nonexistent local times move forward by the gap, repeated ones take the first
  occurrence; whole days are local midnight to local midnight (23 or 25 h on DST days).
"""

from .model import ImpossibleDate, Mention, Resolution
from .options import ClinicContext
from .resolver import resolve

__all__ = ["ClinicContext", "ImpossibleDate", "Mention", "Resolution", "resolve"]
