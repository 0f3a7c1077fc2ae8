"""A dentist's time off as a list they can see and undo (blocking lives in `availability`).

Removing a block writes `availability.updated` through the outbox trigger like any other
availability change, so slot caches drop the day and open pages redraw; the waitlist matcher
treats it as freed time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine

from chatbot.auth import Principal
from chatbot.errors import NotFound
from chatbot.repositories import availability, catalog, unit
from chatbot.services.guards import ident, manage_dentist, window

MAX_DAYS = 400


def list_time_off(
    engine: Engine, principal: Principal, *, dentist_id: int, start: dt.datetime, end: dt.datetime
) -> list[dict[str, Any]]:
    """Blocks overlapping [start, end). Anyone signed in may see when a dentist is away (the
    slots show it anyway); the reason only that dentist and admins."""
    dentist_id = ident(dentist_id, "dentist id")
    start, end = window(start, end, max_days=MAX_DAYS)
    private = principal.is_admin or (
        principal.role == "dentist" and principal.dentist_id == dentist_id
    )
    with unit.transaction(engine) as conn:
        if not catalog.fetch_dentists(conn, [dentist_id]):
            raise NotFound(f"There is no dentist with id {dentist_id}.")
        rows = availability.time_off_rows(conn, dentist_id, start, end)
    return [_doc(r, with_reason=private) for r in rows]


def _doc(row: dict[str, Any], *, with_reason: bool) -> dict[str, Any]:
    doc = {
        "id": row["id"],
        "dentist_id": row["dentist_id"],
        "starts_at": row["starts_at"].isoformat(),
        "ends_at": row["ends_at"].isoformat(),
    }
    if with_reason:
        doc["reason"] = row["reason"]
    return doc


def remove_time_off(
    engine: Engine, principal: Principal, *, dentist_id: int, time_off_id: int
) -> None:
    """Delete one block (the dentist themself or an admin); NotFound if it is not theirs."""
    dentist_id = ident(dentist_id, "dentist id")
    time_off_id = ident(time_off_id, "time off id")
    manage_dentist(principal, dentist_id)
    with unit.transaction(engine) as conn:
        if not availability.delete_time_off(conn, dentist_id, time_off_id):
            raise NotFound(f"Dentist {dentist_id} has no time off with id {time_off_id}.")


def unblock(
    engine: Engine, principal: Principal, *, dentist_id: int, start: dt.datetime, end: dt.datetime
) -> list[dict[str, Any]]:
    """Free [start, end) of a dentist's time off ("unblock Friday afternoon"): blocks inside it
    go, blocks reaching past it keep their outside parts. Returns the blocks it touched (as
    they were). One transaction; each change is an `availability.updated` event."""
    dentist_id = ident(dentist_id, "dentist id")
    manage_dentist(principal, dentist_id)
    start, end = window(start, end, max_days=MAX_DAYS)
    with unit.transaction(engine) as conn:
        touched = availability.time_off_rows(conn, dentist_id, start, end)
        for row in touched:
            availability.delete_time_off(conn, dentist_id, row["id"])
            for keep_from, keep_to in ((row["starts_at"], start), (end, row["ends_at"])):
                if keep_to > keep_from:
                    availability.insert_exception(
                        conn, dentist_id, "off", keep_from, keep_to, row["reason"]
                    )
    return [_doc(r, with_reason=True) for r in touched]
