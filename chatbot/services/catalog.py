"""Clinic, dentists and treatments, with the forgiving lookups a chat user needs."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine

from chatbot.domain import matching
from chatbot.domain.matching import normalize
from chatbot.domain.models import Clinic, Dentist, Treatment
from chatbot.errors import InvalidInput, NotFound
from chatbot.repositories import catalog, unit
from chatbot.services.guards import ident

__all__ = ["match_dentists", "match_treatment", "normalize"]


def get_clinic(engine: Engine) -> Clinic:
    with unit.transaction(engine) as conn:
        return catalog.fetch_clinic(conn)


def list_dentists(engine: Engine, *, include_inactive: bool = False) -> list[Dentist]:
    with unit.transaction(engine) as conn:
        dentists = catalog.fetch_dentists(conn)
    return [d for d in dentists if include_inactive or d.active]


def get_dentist(engine: Engine, dentist_id: int) -> Dentist:
    dentist_id = ident(dentist_id, "dentist id")
    with unit.transaction(engine) as conn:
        found = catalog.fetch_dentists(conn, [dentist_id])
    if not found:
        raise NotFound(f"There is no dentist with id {dentist_id}.")
    return found[0]


def list_treatments(engine: Engine) -> list[Treatment]:
    with unit.transaction(engine) as conn:
        return catalog.fetch_treatments(conn)


def get_treatment(engine: Engine, text: str) -> Treatment:
    with unit.transaction(engine) as conn:
        return match_treatment(catalog.fetch_treatments(conn), text)


def find_dentists(
    engine: Engine, *, name: str | None = None, treatment: str | None = None
) -> list[Dentist]:
    """Active dentists matching a fuzzy name ("dr lee", "anna") and/or offering a treatment
    (code, name or synonym). No criteria = all active dentists."""
    with unit.transaction(engine) as conn:
        dentists = [d for d in catalog.fetch_dentists(conn) if d.active]
        if treatment is not None:
            code = match_treatment(catalog.fetch_treatments(conn), treatment).code
            dentists = [d for d in dentists if d.offers(code)]
    if name is not None:
        dentists = match_dentists(dentists, name)
    return dentists


# --- matching with errors (the pure lookups live in chatbot.domain.matching) ---------------


def match_treatment(treatments: Sequence[Treatment], text: str) -> Treatment:
    """The treatment `text` names (code, name, synonym, lay term, inflection or close
    spelling); InvalidInput when empty, NotFound (listing the options) when none fits."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("Please say which treatment you need.")
    found = matching.find_treatment(treatments, text)
    if found is None:
        options = ", ".join(t.name for t in treatments)
        raise NotFound(f"I don't know the treatment {text[:60]!r}. We offer: {options}.")
    return found


def match_dentists(dentists: Sequence[Dentist], name: str) -> list[Dentist]:
    if not isinstance(name, str):
        raise InvalidInput("A dentist's name must be text.")
    return matching.find_dentists(dentists, name)
