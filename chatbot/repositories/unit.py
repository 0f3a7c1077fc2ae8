"""The unit of work of the synchronous repositories, and the one place database errors become
domain errors.

Every repository function takes an open `Connection` inside the caller's transaction;
`transaction()` opens it and translates psycopg errors (exclusion violation → SlotTaken, ...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg.errors as pgerr
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from chatbot.errors import BookingError, InvalidInput, NotFound, SlotTaken

SLOT_TAKEN_MSG = "That time was just taken by someone else. Please choose another time."


def translate(exc: DBAPIError) -> BookingError | None:
    """Map a database error to the domain error users see; None = not ours to translate."""
    orig = exc.orig
    if isinstance(orig, pgerr.ExclusionViolation):
        return SlotTaken(SLOT_TAKEN_MSG)
    if isinstance(orig, (pgerr.DeadlockDetected, pgerr.SerializationFailure)):
        return SlotTaken("The schedule changed while saving. Please try again.")
    if isinstance(orig, pgerr.ForeignKeyViolation):
        return NotFound("The dentist, patient or treatment referred to does not exist.")
    if isinstance(orig, (pgerr.CheckViolation, pgerr.NotNullViolation, pgerr.UniqueViolation)):
        return InvalidInput("Some of the values given are not allowed.")
    if isinstance(orig, pgerr.DataError):
        return InvalidInput("Some of the values given are out of range.")
    return None


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One use case = one transaction; a failure rolls everything back (no outbox row)."""
    try:
        with engine.begin() as conn:
            yield conn
    except DBAPIError as exc:
        mapped = translate(exc)
        if mapped is None:
            raise
        raise mapped from exc


def db_now(conn: Connection) -> dt.datetime:
    """The database's transaction time (what the triggers and constraints see)."""
    value: dt.datetime = conn.execute(text("SELECT now()")).scalar_one()
    return value
