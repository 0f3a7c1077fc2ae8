"""Words the grammar knows: weekdays, months, numbers, and the misspellings patients type."""

from __future__ import annotations

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
WEEKDAY_INDEX = {name: i for i, name in enumerate(WEEKDAYS)}
MONTH_INDEX = {name: i + 1 for i, name in enumerate(MONTHS)}

WEEKDAY_RE = "(?:" + "|".join(WEEKDAYS) + ")"
MONTH_RE = "(?:" + "|".join(MONTHS) + ")"

# Exact rewrites: abbreviations, chat spellings and common misspellings.
SPELLING = {
    "mon": "monday",
    "tue": "tuesday",
    "tues": "tuesday",
    "wed": "wednesday",
    "weds": "wednesday",
    "wensday": "wednesday",
    "wendsday": "wednesday",
    "thu": "thursday",
    "thur": "thursday",
    "thurs": "thursday",
    "thrusday": "thursday",
    "fri": "friday",
    "jan": "january",
    "feb": "february",
    "febuary": "february",
    "mar": "march",
    "apr": "april",
    "jun": "june",
    "jul": "july",
    "aug": "august",
    "sep": "september",
    "sept": "september",
    "oct": "october",
    "nov": "november",
    "dec": "december",
    "tmrw": "tomorrow",
    "tommorow": "tomorrow",
    "tommorrow": "tomorrow",
    "tomorow": "tomorrow",
    "tommorw": "tomorrow",
    "tmr": "tomorrow",
    "tmw": "tomorrow",
    "tmrow": "tomorrow",
    "tmro": "tomorrow",
    "tomoz": "tomorrow",
    "tomo": "tomorrow",
    "2moro": "tomorrow",
    "2morrow": "tomorrow",
    "2mrw": "tomorrow",
    "2mr": "tomorrow",
    "2day": "today",
    "tdy": "today",
    "2nite": "tonight",
    "2night": "tonight",
    "tonite": "tonight",
    "nxt": "next",
    "wk": "week",
    "wks": "weeks",
    "wkend": "weekend",
    "w/e": "weekend",
    "arvo": "afternoon",
    "aftn": "afternoon",
    "eve": "evening",
    "hrs": "hours",
    "hr": "hour",
    "mins": "minutes",
    "min": "minute",
    "b4": "before",
    "btw": "between",
    "betwen": "between",
    "btwn": "between",
    "til": "till",
    "untill": "until",
    "thru": "through",
    "mid-day": "midday",
    "a.s.a.p": "asap",
    "a.s.a.p.": "asap",
    "wkdays": "weekdays",
    "wkends": "weekends",
}

# Abbreviations that are also English words: a weekday unless the words around them make them
# a noun or a verb ("the sun is out", "I sat in the car").
CONTEXT_WEEKDAYS = {"sun": "sunday", "sat": "saturday"}
NOT_WEEKDAY_BEFORE = frozenset(
    {"the", "a", "i", "we", "you", "he", "she", "they", "it", "who", "was", "been", "just", "had"}
    | {"have", "some", "of", "much", "no", "enjoy", "in"}
)
NOT_WEEKDAY_AFTER = frozenset({"is", "was", "comes", "shines", "cream", "burn", "screen", "down"})

# Targets of the one-typo repair for longer words ("wednsday", "thursay", "tommorow").
FUZZY_TARGETS = (
    *WEEKDAYS,
    "january",
    "february",
    "september",
    "october",
    "november",
    "december",
    "tomorrow",
    "today",
    "tonight",
    "morning",
    "afternoon",
    "evening",
    "weekend",
    "between",
    "quarter",
    "midnight",
)
# Real words one edit away from a target that must stay themselves.
NOT_TYPOS = frozenset(
    {
        "sundae",
        "toddy",
        "evenings",
        "mourning",
        "mornings",
        "weekends",
        "frida",
        *(f"{day}s" for day in WEEKDAYS),
    }
)

# Words after an ordinal that make it an ordinal, not a day: "on second thought", "the first
# one", "the 2nd one", "the 1st option" pick from a list; "the 1st" alone is a day.
NOT_A_DAY_AFTER = frozenset(
    {"thing", "thought", "thoughts", "time", "times", "opinion", "one", "ones", "option", "choice"}
    | {"options", "choices", "slot", "slots", "appointment", "appointments", "offer", "suggestion"}
    | {"floor", "child", "kid", "son", "daughter", "tooth", "molar", "filling", "visit", "place"}
)

UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}
ORDINAL_UNITS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
}
ORDINAL_TENS = {"twentieth": 20, "thirtieth": 30}


def ordinal_suffix(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}" + {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
