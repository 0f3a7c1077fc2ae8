"""Clinic, dentists and treatments, with the forgiving lookups a chat user needs."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence

from sqlalchemy import Engine

from chatbot import repository
from chatbot.domain.models import Clinic, Dentist, Treatment
from chatbot.errors import InvalidInput, NotFound
from chatbot.services.guards import ident

_NOT_A_NAME = frozenset(
    {"dr", "doctor", "doc", "dentist", "the", "mr", "mrs", "ms", "prof", "with"}
)


def normalize(value: str) -> str:
    """Lower-case words only: "Root-Canal!" -> "root canal"."""
    return " ".join(re.sub(r"[^0-9a-zß-ÿ]+", " ", value.lower().replace("_", " ")).split())


def get_clinic(engine: Engine) -> Clinic:
    with repository.transaction(engine) as conn:
        return repository.fetch_clinic(conn)


def list_dentists(engine: Engine, *, include_inactive: bool = False) -> list[Dentist]:
    with repository.transaction(engine) as conn:
        dentists = repository.fetch_dentists(conn)
    return [d for d in dentists if include_inactive or d.active]


def get_dentist(engine: Engine, dentist_id: int) -> Dentist:
    dentist_id = ident(dentist_id, "dentist id")
    with repository.transaction(engine) as conn:
        found = repository.fetch_dentists(conn, [dentist_id])
    if not found:
        raise NotFound(f"There is no dentist with id {dentist_id}.")
    return found[0]


def list_treatments(engine: Engine) -> list[Treatment]:
    with repository.transaction(engine) as conn:
        return repository.fetch_treatments(conn)


def get_treatment(engine: Engine, text: str) -> Treatment:
    with repository.transaction(engine) as conn:
        return match_treatment(repository.fetch_treatments(conn), text)


def find_dentists(
    engine: Engine, *, name: str | None = None, treatment: str | None = None
) -> list[Dentist]:
    """Active dentists matching a fuzzy name ("dr lee", "anna") and/or offering a treatment
    (code, name or synonym). No criteria = all active dentists."""
    with repository.transaction(engine) as conn:
        dentists = [d for d in repository.fetch_dentists(conn) if d.active]
        if treatment is not None:
            code = match_treatment(repository.fetch_treatments(conn), treatment).code
            dentists = [d for d in dentists if d.offers(code)]
    if name is not None:
        dentists = match_dentists(dentists, name)
    return dentists


# --- pure matching (also used by availability/booking) ---------------------------------------


def _keys(treatment: Treatment) -> Iterable[str]:
    yield normalize(treatment.code)
    yield normalize(treatment.name)
    for synonym in treatment.synonyms:
        yield normalize(synonym)


def match_treatment(treatments: Sequence[Treatment], text: str) -> Treatment:
    """Exact code/name/synonym (case and punctuation ignored), else the longest one named in
    the text ("a root canal please"), else a close spelling ("cheskup"). NotFound lists options."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("Please say which treatment you need.")
    query = normalize(text[:300])
    keyed = [(key, t) for t in treatments for key in _keys(t) if key]
    for key, t in keyed:
        if key == query:
            return t
    padded = f" {query} "
    inside = [(len(key), t) for key, t in keyed if f" {key} " in padded]
    if inside:
        return max(inside, key=lambda pair: pair[0])[1]
    close = difflib.get_close_matches(query, [key for key, _ in keyed], n=1, cutoff=0.8)
    if close:
        return next(t for key, t in keyed if key == close[0])
    options = ", ".join(t.name for t in treatments)
    raise NotFound(f"I don't know the treatment {text[:60]!r}. We offer: {options}.")


def _token_matches(query: str, name_token: str) -> bool:
    if query == name_token or (len(query) >= 2 and name_token.startswith(query)):
        return True
    return len(query) >= 3 and difflib.SequenceMatcher(None, query, name_token).ratio() >= 0.8


def match_dentists(dentists: Sequence[Dentist], name: str) -> list[Dentist]:
    """Dentists whose name contains every word of `name` (titles ignored, prefixes and small
    typos allowed): "dr lee", "Lee", "anna", "Dr. Rosi"."""
    if not isinstance(name, str):
        raise InvalidInput("A dentist's name must be text.")
    words = [w for w in normalize(name[:200]).split() if w not in _NOT_A_NAME]
    if not words:
        return []
    found = []
    for dentist in dentists:
        tokens = normalize(dentist.name).split()
        if all(any(_token_matches(w, t) for t in tokens) for w in words):
            found.append(dentist)
    return found
