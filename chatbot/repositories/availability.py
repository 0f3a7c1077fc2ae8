"""SQL for a dentist's availability: weekly rules, exceptions (time off and extra hours) and
the busy intervals the slot search subtracts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, text

from chatbot.domain.models import AvailabilityRule


def fetch_rules(
    conn: Connection, dentist_ids: Sequence[int], first_day: dt.date, last_day: dt.date
) -> list[AvailabilityRule]:
    rows = conn.execute(
        text(
            "SELECT dentist_id, isodow, start_time, end_time, valid_from, valid_to"
            " FROM availability_rule WHERE dentist_id = ANY(:ids)"
            " AND valid_from <= :last AND (valid_to IS NULL OR valid_to >= :first)"
            " ORDER BY dentist_id, isodow, start_time"
        ),
        {"ids": list(dentist_ids), "first": first_day, "last": last_day},
    )
    return [AvailabilityRule(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


def lock_rules(conn: Connection, dentist_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        text(
            "SELECT id, isodow, start_time, end_time, valid_from, valid_to"
            " FROM availability_rule WHERE dentist_id = :d ORDER BY id FOR UPDATE"
        ),
        {"d": dentist_id},
    ).mappings()
    return [dict(r) for r in rows]


def set_rule_validity(
    conn: Connection, rule_id: int, valid_from: dt.date, valid_to: dt.date | None
) -> None:
    conn.execute(
        text("UPDATE availability_rule SET valid_from = :f, valid_to = :t WHERE id = :id"),
        {"id": rule_id, "f": valid_from, "t": valid_to},
    )


def delete_rule(conn: Connection, rule_id: int) -> None:
    conn.execute(text("DELETE FROM availability_rule WHERE id = :id"), {"id": rule_id})


def insert_rule(
    conn: Connection,
    dentist_id: int,
    isodow: int,
    start: dt.time,
    end: dt.time,
    valid_from: dt.date,
    valid_to: dt.date | None,
) -> None:
    conn.execute(
        text(
            "INSERT INTO availability_rule (dentist_id, isodow, start_time, end_time,"
            " valid_from, valid_to) VALUES (:d, :w, :s, :e, :f, :t)"
        ),
        {"d": dentist_id, "w": isodow, "s": start, "e": end, "f": valid_from, "t": valid_to},
    )


def insert_exception(
    conn: Connection,
    dentist_id: int,
    kind: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str,
) -> int:
    return int(
        conn.execute(
            text(
                "INSERT INTO availability_exception (dentist_id, kind, starts_at, ends_at, reason)"
                " VALUES (:d, :k, :s, :e, :r) RETURNING id"
            ),
            {"d": dentist_id, "k": kind, "s": starts_at, "e": ends_at, "r": reason},
        ).scalar_one()
    )


def time_off_rows(
    conn: Connection, dentist_id: int, start: dt.datetime, end: dt.datetime
) -> list[dict[str, Any]]:
    """One dentist's 'off' exceptions overlapping [start, end), by start."""
    rows = conn.execute(
        text(
            "SELECT id, dentist_id, starts_at, ends_at, reason FROM availability_exception"
            " WHERE dentist_id = :d AND kind = 'off' AND starts_at < :end AND ends_at > :start"
            " ORDER BY starts_at, id LIMIT 1000"
        ),
        {"d": dentist_id, "start": start, "end": end},
    ).mappings()
    return [dict(r) for r in rows]


def delete_time_off(conn: Connection, dentist_id: int, time_off_id: int) -> bool:
    """Delete one 'off' exception of this dentist; False when there is none."""
    result = conn.execute(
        text(
            "DELETE FROM availability_exception WHERE id = :id AND dentist_id = :d AND kind = 'off'"
        ),
        {"id": time_off_id, "d": dentist_id},
    )
    return result.rowcount > 0
