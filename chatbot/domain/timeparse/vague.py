"""Grammar rules for "as early as you can": "asap", "first available", "whenever".

They name no day or time; the mention they form alone means now .. now + 14 days with no date,
and `earliest` tells the bot to offer the first free slots. Next to a day or time ("the earliest
slot on Friday") they keep that window and only set the flag.
"""

from __future__ import annotations

import re

from .pieces import Env, Fields, Rule, rule


@rule(
    r"^(?:asap|(?:as )?soon as (?:possible|poss|you can|you could|you have (?:a |an )?\S+|ever)"
    r"|as early as (?:possible|you can)|(?:at )?(?:your|the) earliest convenience"
    r"|(?:the )?(?:earliest|soonest|first|1st|next)(?: possible| available| free| open)"
    r"(?: slot| appointment| appt| opening| time| date| day| one| spot)?"
    r"|(?:the )?(?:earliest|soonest)(?: (?:you have|you've got|you can do|you can))?"
    r"|whenever|whenevs|(?:the )?sooner the better|sooner rather than later|sometime soon"
    r"|soonish)$",
    needs=(
        "asap",
        "soon",
        "earliest",
        "first",
        "1st",
        "next",
        "whenever",
        "whenevs",
        "early",
        "convenience",
    ),
)
def _earliest(m: re.Match[str], env: Env) -> Fields:
    return {"earliest": True}


RULES: tuple[Rule, ...] = (_earliest,)
