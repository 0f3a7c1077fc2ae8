"""Forgiving lookups of treatments and dentists in what people type (pure, no I/O).

One normalisation serves every caller (REST, slot search, chat actions):

1. `normalize`: lower case, words only ("Root-Canal!" -> "root canal").
2. Treatments: an exact code/name/synonym of the catalogue; else the longest catalogue key
   named inside the text ("a root canal please"); else a lay term or inflection ("get my teeth
   cleaned", "a tooth pulled", "whitened") compared on word stems; else a close spelling of one
   word ("cleening", "chekup"). The catalogue wins over lay terms, longer phrases over shorter.
3. Dentists: every word of the query (titles dropped) is a name token, a prefix of one, or a
   close spelling ("Dr. Lee", "anna", "rosi").
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence

from chatbot.domain.models import Dentist, Treatment

NOT_A_NAME = frozenset({"dr", "doctor", "doc", "dentist", "the", "mr", "mrs", "ms", "prof", "with"})

# How patients name treatments without the catalogue's words, keyed by treatment code. Phrases
# are compared after stemming, so "cleaned", "cleaning" and "cleans" all meet "clean".
LAY_TERMS: dict[str, tuple[str, ...]] = {
    "checkup": (
        "check up",
        "checkup",
        "check",
        "exam",
        "examination",
        "routine",
        "6 month",
        "six month",
        "annual",
        "look at my teeth",
    ),
    "cleaning": (
        "clean",
        "hygienist",
        "hygiene",
        "polish",
        "scale and polish",
        "scaling",
        "descale",
        "tartar",
        "plaque",
    ),
    "filling": ("fill", "cavity", "cavities", "hole in my tooth", "filling fell out"),
    "root_canal": ("root canal", "root", "canal", "endo", "nerve treatment"),
    "extraction": (
        "extract",
        "pull",
        "pulled",
        "tooth out",
        "teeth out",
        "take out",
        "taken out",
        "remove a tooth",
        "wisdom tooth",
        "wisdom teeth",
    ),
    "whitening": ("whiten", "whiter", "bleach"),
    "emergency": (
        "toothache",
        "tooth ache",
        "urgent",
        "broken tooth",
        "chipped",
        "cracked",
        "swollen",
        "swelling",
        "ache",
        "aching",
        "hurts",
        "hurting",
        "painful",
        "in pain",
        "agony",
        "throbbing",
        "abscess",
        "infected",
        "knocked out",
        "killing me",
    ),
    "consultation": ("consult", "advice", "second opinion"),
}
# "not in pain", "it doesn't hurt": pain words that are denied name no emergency.
_DENIED_PAIN = re.compile(
    r"\b(?:no|not|without|never|isn t|doesn t|don t|didn t|wasn t)(?: \w+){0,2}"
    r" (?:pain\w*|hurt\w*|ach\w*|sore|toothache|throb\w*|swell\w*|swollen|urgent|an emergency)\b"
)
_SUFFIXES = ("ations", "ation", "ings", "ing", "ions", "ion", "ened", "ed", "es", "s")
_FUZZY_MIN_LEN = 5
# Words of catalogue names too generic to name a treatment on their own ("my teeth hurt").
_GENERIC = frozenset({"treatment", "tooth", "teeth", "visit", "professional", "dental"})
_FUZZY_CUTOFF = 0.84


def normalize(value: str) -> str:
    """Lower-case words only: "Root-Canal!" -> "root canal"."""
    return " ".join(re.sub(r"[^0-9a-zß-ÿ]+", " ", value.lower().replace("_", " ")).split())


def stem(word: str) -> str:
    """A crude English stem, enough to meet inflections: cleaned/cleaning -> clean,
    fillings -> fill, cavities -> cavity, extraction -> extract, whitened -> whiten."""
    if word.endswith("ies") and len(word) > 5:
        return word[:-3] + "y"
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            return base + "en" if suffix == "ened" else base
    return word


def _stems(text: str) -> str:
    return " ".join(stem(w) for w in normalize(text).split())


def _keys(treatment: Treatment) -> Iterable[str]:
    yield normalize(treatment.code)
    yield normalize(treatment.name)
    for synonym in treatment.synonyms:
        yield normalize(synonym)


def _longest_inside(text: str, keyed: Sequence[tuple[str, Treatment]]) -> Treatment | None:
    padded = f" {text} "
    inside = [(len(key), t) for key, t in keyed if key and f" {key} " in padded]
    return max(inside, key=lambda pair: pair[0])[1] if inside else None


def find_treatment(treatments: Sequence[Treatment], text: str) -> Treatment | None:
    """The treatment `text` names (see the module docstring for the order), or None."""
    query = " ".join(_DENIED_PAIN.sub(" ", normalize(text[:300])).split())
    if not query:
        return None
    keyed = [(key, t) for t in treatments for key in _keys(t)]
    exact = next((t for key, t in keyed if key == query), None)
    found = exact or _longest_inside(query, keyed)
    if found:
        return found
    by_code = {t.code: t for t in treatments}
    lay = [
        (_stems(term), by_code[code])
        for code, terms in LAY_TERMS.items()
        if code in by_code
        for term in terms
    ]
    stemmed = [(_stems(key), t) for key, t in keyed]
    found = _longest_inside(_stems(query), stemmed) or _longest_inside(_stems(query), lay)
    if found:
        return found
    singles = [(k, t) for k, t in [*keyed, *lay] if " " not in k] + [
        (w, t) for k, t in keyed for w in k.split() if w not in _GENERIC
    ]
    vocabulary = {w: t for w, t in reversed(singles) if len(w) >= 4}
    for word in query.split():
        if len(word) >= _FUZZY_MIN_LEN:
            close = difflib.get_close_matches(word, list(vocabulary), n=1, cutoff=_FUZZY_CUTOFF)
            if close:
                return vocabulary[close[0]]
    return None


def _token_matches(query: str, name_token: str) -> bool:
    if query == name_token or (len(query) >= 2 and name_token.startswith(query)):
        return True
    return len(query) >= 3 and difflib.SequenceMatcher(None, query, name_token).ratio() >= 0.8


def find_dentists(dentists: Sequence[Dentist], name: str) -> list[Dentist]:
    """Dentists whose name contains every word of `name` (titles ignored, prefixes and small
    typos allowed): "dr lee", "Lee", "anna", "Dr. Rosi"."""
    words = [w for w in normalize(name[:200]).split() if w not in NOT_A_NAME]
    if not words:
        return []
    return [
        d
        for d in dentists
        if all(any(_token_matches(w, t) for t in normalize(d.name).split()) for w in words)
    ]
