"""Free slots, weekly hours, time off and extra hours."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

from sqlalchemy import Connection, Engine

from chatbot.auth import Principal
from chatbot.domain.models import (
    AvailabilityException,
    AvailabilityRule,
    Busy,
    Slot,
    WeeklyHours,
)
from chatbot.errors import InvalidInput, NotFound
from chatbot.repositories import availability, catalog, unit
from chatbot.repositories.slots_source import iter_time_rows
from chatbot.services import slot_search
from chatbot.services.guards import ident, manage_dentist, sane_year, text_arg, window
from chatbot.services.slot_days import DbSlotSource, to_domain
from chatbot.services.slot_search import SlotQuery

UTC = dt.timezone.utc


def load_day_inputs(
    conn: Connection,
    dentist_ids: Sequence[int],
    start: dt.datetime,
    end: dt.datetime,
    *,
    exclude_appointment_id: int | None = None,
) -> tuple[list[AvailabilityRule], list[AvailabilityException], list[Busy]]:
    """Everything `domain.slots.free_slots` needs for slots starting in [start, end), in two
    queries. Works for any clinic zone (dates padded by two days); holds carry their expiry,
    so a cache may keep these inputs and pass a later `now`."""
    rules = availability.fetch_rules(
        conn,
        dentist_ids,
        start.astimezone(UTC).date() - dt.timedelta(days=2),
        end.astimezone(UTC).date() + dt.timedelta(days=2),
    )
    pad = dt.timedelta(days=1)
    rows = iter_time_rows(
        conn, dentist_ids, start - pad, end + pad, exclude_appointment_id=exclude_appointment_id
    )
    exceptions: list[AvailabilityException] = []
    busy: list[Busy] = []
    for item in map(to_domain, rows):
        if isinstance(item, Busy):
            busy.append(item)
        else:
            exceptions.append(item)
    return rules, exceptions, busy


def free_slots(
    engine: Engine,
    *,
    treatment: str,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    dentist_id: int | None = None,
    limit: int | None = None,
    now: dt.datetime | None = None,
) -> list[Slot]:
    """`slot_search.search` straight from the database (no cache): for callers without a
    listener (CLI, tests, the action server while its listener is not caught up)."""
    query = SlotQuery(treatment, start, end, dentist_id, limit, now)
    return slot_search.search(DbSlotSource(engine), query)


# --- writes ----------------------------------------------------------------------------------


def _check_hours(hours: Sequence[WeeklyHours]) -> None:
    by_day: dict[int, list[WeeklyHours]] = {}
    for h in hours:
        if (
            not isinstance(h, WeeklyHours)
            or not isinstance(h.isodow, int)
            or not 1 <= h.isodow <= 7
        ):
            raise InvalidInput("Each entry needs a weekday 1 (Monday) to 7 (Sunday).")
        if not isinstance(h.start, dt.time) or not isinstance(h.end, dt.time):
            raise InvalidInput("Start and end must be times of day.")
        if h.start.tzinfo is not None or h.end.tzinfo is not None:
            raise InvalidInput("Working hours are clinic local times without an offset.")
        if h.end <= h.start:
            raise InvalidInput(f"On day {h.isodow} the end {h.end:%H:%M} is not after the start.")
        by_day.setdefault(h.isodow, []).append(h)
    for isodow, ranges in by_day.items():
        ranges.sort(key=lambda h: h.start)
        for a, b in itertools.pairwise(ranges):
            if b.start < a.end:
                raise InvalidInput(f"Working hours overlap on day {isodow}.")


def set_weekly_hours(
    engine: Engine,
    principal: Principal,
    *,
    dentist_id: int,
    hours: list[WeeklyHours],
    valid_from: dt.date,
    valid_to: dt.date | None = None,
) -> None:
    """Replace the dentist's weekly hours on [valid_from, valid_to] (open-ended when None).
    Older rules are closed the day before; rules running past valid_to resume after it.
    An empty `hours` list means "not working" in that range."""
    dentist_id = ident(dentist_id, "dentist id")
    manage_dentist(principal, dentist_id)
    if not isinstance(valid_from, dt.date) or isinstance(valid_from, dt.datetime):
        raise InvalidInput("valid_from must be a date.")
    if valid_to is not None and (not isinstance(valid_to, dt.date) or valid_to < valid_from):
        raise InvalidInput("valid_to must be a date on or after valid_from.")
    sane_year(valid_from, "valid_from")
    if valid_to is not None:
        sane_year(valid_to, "valid_to")
    if len(hours) > 70:
        raise InvalidInput("Too many working-hour ranges.")
    _check_hours(hours)
    with unit.transaction(engine) as conn:
        clinic = catalog.fetch_clinic(conn)
        if valid_from < dt.datetime.now(clinic.tz).date():
            raise InvalidInput("New hours cannot start in the past.")
        if not catalog.fetch_dentists(conn, [dentist_id]):
            raise NotFound(f"There is no dentist with id {dentist_id}.")
        for rule in availability.lock_rules(conn, dentist_id):
            _trim_rule(conn, dentist_id, rule, valid_from, valid_to)
        for h in hours:
            availability.insert_rule(
                conn, dentist_id, h.isodow, h.start, h.end, valid_from, valid_to
            )


def _trim_rule(
    conn: Connection, dentist_id: int, rule: dict, start: dt.date, stop: dt.date | None
) -> None:
    """Cut [start, stop] out of one existing rule's validity."""
    r_from, r_to = rule["valid_from"], rule["valid_to"]
    day = dt.timedelta(days=1)
    if (r_to is not None and r_to < start) or (stop is not None and r_from > stop):
        return  # no overlap
    keeps_tail = stop is not None and (r_to is None or r_to > stop)
    if r_from < start:
        availability.set_rule_validity(conn, rule["id"], r_from, start - day)
        if keeps_tail:
            assert stop is not None
            availability.insert_rule(
                conn,
                dentist_id,
                rule["isodow"],
                rule["start_time"],
                rule["end_time"],
                stop + day,
                r_to,
            )
    elif keeps_tail:
        assert stop is not None
        availability.set_rule_validity(conn, rule["id"], stop + day, r_to)
    else:
        availability.delete_rule(conn, rule["id"])


def _add_exception(
    engine: Engine,
    principal: Principal,
    kind: str,
    dentist_id: int,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str,
    max_days: int,
) -> int:
    dentist_id = ident(dentist_id, "dentist id")
    manage_dentist(principal, dentist_id)
    starts_at, ends_at = window(starts_at, ends_at, max_days=max_days)
    reason = text_arg(reason, "reason", max_len=500)
    if ends_at <= dt.datetime.now(UTC):
        raise InvalidInput("That time is already in the past.")
    with unit.transaction(engine) as conn:
        if not catalog.fetch_dentists(conn, [dentist_id]):
            raise NotFound(f"There is no dentist with id {dentist_id}.")
        return availability.insert_exception(conn, dentist_id, kind, starts_at, ends_at, reason)


def block_time(
    engine: Engine,
    principal: Principal,
    *,
    dentist_id: int,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str = "",
) -> int:
    """Time off ('off' exception); returns its id. Existing appointments in that time are
    kept (the caller may list them with `schedule.dentist_schedule` and cancel them).
    A start already past is allowed as long as the end is in the future."""
    return _add_exception(engine, principal, "off", dentist_id, starts_at, ends_at, reason, 366)


def add_extra_hours(
    engine: Engine,
    principal: Principal,
    *,
    dentist_id: int,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str = "",
) -> int:
    """Extra working time ('extra' exception, at most 24 h); returns its id."""
    return _add_exception(engine, principal, "extra", dentist_id, starts_at, ends_at, reason, 1)
