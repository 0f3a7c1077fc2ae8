"""SQL for handoff requests (a patient asking for a human)."""

from __future__ import annotations

from sqlalchemy import Connection, text


def insert_handoff(conn: Connection, patient_id: int | None, sender: str, reason: str) -> int:
    return int(
        conn.execute(
            text(
                "INSERT INTO handoff_request (patient_id, sender, reason)"
                " VALUES (:p, :s, :r) RETURNING id"
            ),
            {"p": patient_id, "s": sender, "r": reason},
        ).scalar_one()
    )
