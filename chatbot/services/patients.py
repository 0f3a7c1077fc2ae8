"""The patient directory for the front desk: find a patient to book for by name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from chatbot.auth import Principal
from chatbot.repositories import patients, unit
from chatbot.services.guards import text_arg

MAX_RESULTS = 20


def search_patients(engine: Engine, principal: Principal, query: str) -> list[dict[str, Any]]:
    """Up to 20 patients matching `query` (name, phone or e-mail); admins only, because the
    list is everyone's contact data."""
    principal.require("admin")
    query = text_arg(query, "q", max_len=100)
    with unit.transaction(engine) as conn:
        return patients.search(conn, query, MAX_RESULTS)
