"""SQL for calendar feeds (table `calendar_feed`, column `appointment.sequence`: migration 0005)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, text

# Holds are not in anyone's calendar yet; expired holds never were.
_FEED_ROWS = """
SELECT a.id, a.status, a.starts_at, a.ends_at, a.sequence, a.created_at, a.updated_at,
       t.name AS treatment_name, p.name AS patient_name, d.title || ' ' || d.name AS dentist_name
FROM appointment a
JOIN treatment t ON t.id = a.treatment_id
JOIN patient p ON p.id = a.patient_id
JOIN dentist d ON d.id = a.dentist_id
WHERE a.{owner} = :owner AND a.status NOT IN ('held', 'expired')
  AND a.ends_at > :start AND a.starts_at < :end
ORDER BY a.starts_at, a.id
LIMIT :limit
"""


def feed_version(conn: Connection, kind: str, owner_id: int) -> str | None:
    return conn.execute(
        text("SELECT version FROM calendar_feed WHERE kind = :k AND owner_id = :o"),
        {"k": kind, "o": owner_id},
    ).scalar()


def put_feed_version(conn: Connection, kind: str, owner_id: int, version: str) -> None:
    conn.execute(
        text(
            "INSERT INTO calendar_feed (kind, owner_id, version) VALUES (:k, :o, :v)"
            " ON CONFLICT (kind, owner_id) DO UPDATE SET version = EXCLUDED.version,"
            " created_at = now()"
        ),
        {"k": kind, "o": owner_id, "v": version},
    )


def delete_feed(conn: Connection, kind: str, owner_id: int) -> None:
    conn.execute(
        text("DELETE FROM calendar_feed WHERE kind = :k AND owner_id = :o"),
        {"k": kind, "o": owner_id},
    )


def owner_exists(conn: Connection, kind: str, owner_id: int) -> bool:
    table = {"dentist": "dentist", "patient": "patient"}[kind]
    found = conn.execute(text(f"SELECT 1 FROM {table} WHERE id = :o"), {"o": owner_id}).first()
    return found is not None


def feed_rows(
    conn: Connection,
    kind: str,
    owner_id: int,
    *,
    start: dt.datetime,
    end: dt.datetime,
    limit: int = 2000,
) -> list[dict[str, Any]]:
    column = {"dentist": "dentist_id", "patient": "patient_id"}[kind]
    rows = conn.execute(
        text(_FEED_ROWS.format(owner=column)),
        {"owner": owner_id, "start": start, "end": end, "limit": limit},
    ).mappings()
    return [dict(r) for r in rows]
