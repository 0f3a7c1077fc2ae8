"""SQL for the patient directory (the front desk's search)."""

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
