"""SQL for patients: the front desk's directory search, existence checks and the row lock
that queues one patient's concurrent writes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text


def _like_escape(fragment: str) -> str:
    return fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(conn: Connection, query: str, limit: int) -> list[dict[str, Any]]:
    """Patients whose name (or phone/email) contains `query`, case-insensitive; names that
    start with it first. An empty query lists the first patients by name."""
    pattern = f"%{_like_escape(query)}%"
    rows = conn.execute(
        text(
            "SELECT id, name, phone, email FROM patient"
            " WHERE name ILIKE :p OR phone ILIKE :p OR email ILIKE :p"
            " ORDER BY (name ILIKE :prefix) DESC, name, id LIMIT :limit"
        ),
        {"p": pattern, "prefix": f"{_like_escape(query)}%", "limit": limit},
    ).mappings()
    return [dict(r) for r in rows]


def lock_patient(conn: Connection, patient_id: int) -> bool:
    """Lock the patient row until the transaction ends (False when there is none), so one
    patient's concurrent writes queue up and limits are checked on committed counts.
    NO KEY UPDATE: foreign-key checks of other writers (KEY SHARE) are not blocked."""
    found = conn.execute(
        text("SELECT 1 FROM patient WHERE id = :p FOR NO KEY UPDATE"), {"p": patient_id}
    ).first()
    return found is not None


def patient_exists(conn: Connection, patient_id: int) -> bool:
    return (
        conn.execute(text("SELECT 1 FROM patient WHERE id = :p"), {"p": patient_id}).first()
        is not None
    )
