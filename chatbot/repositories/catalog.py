"""SQL for the catalogue: the clinic, its dentists and the treatments they offer."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, text

from chatbot.domain.models import Clinic, Dentist, Treatment
from chatbot.errors import NotFound


def fetch_clinic(conn: Connection) -> Clinic:
    row = conn.execute(text("SELECT * FROM clinic WHERE id = 1")).mappings().first()
    if row is None:
        raise NotFound("The clinic is not set up yet (run the seed command).")
    return Clinic(**dict(row))


def fetch_dentists(conn: Connection, ids: Sequence[int] | None = None) -> list[Dentist]:
    sql = "SELECT * FROM dentist" + (" WHERE id = ANY(:ids)" if ids is not None else "")
    rows = conn.execute(text(sql + " ORDER BY id"), {"ids": list(ids or [])}).mappings()
    return [Dentist(**(dict(r) | {"specialties": tuple(r["specialties"])})) for r in rows]


def fetch_treatments(conn: Connection) -> list[Treatment]:
    rows = conn.execute(
        text(
            "SELECT code, name, duration_min, buffer_min, price_cents, description, synonyms"
            " FROM treatment ORDER BY id"
        )
    ).mappings()
    return [Treatment(**(dict(r) | {"synonyms": tuple(r["synonyms"])})) for r in rows]


def treatment_id(conn: Connection, code: str) -> int:
    found = conn.execute(text("SELECT id FROM treatment WHERE code = :c"), {"c": code}).scalar()
    if found is None:
        raise NotFound(f"Unknown treatment {code!r}.")
    return int(found)
