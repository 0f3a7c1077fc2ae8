"""Argument checks and authorization rules shared by the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from chatbot.auth import Principal
from chatbot.errors import Forbidden, InvalidInput

MAX_ID = 2**31 - 1
# The calendar the clinic works in. Anything outside is a typo or a probe, and near year 1 or
# 9999 time-zone arithmetic overflows, so the year is checked before any of it happens.
MIN_YEAR, MAX_YEAR = 1970, 2199


def ident(value: Any, what: str) -> int:
    """A database id: a positive int that fits the integer columns."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise InvalidInput(f"{what} must be a positive whole number.")
    return value


def sane_year(value: dt.date, what: str) -> None:
    """A date (or date-time) in years MIN_YEAR..MAX_YEAR; checked without any arithmetic."""
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise InvalidInput(f"{what} must be between the years {MIN_YEAR} and {MAX_YEAR}.")


def aware(value: Any, what: str) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise InvalidInput(f"{what} must be a date and time.")
    sane_year(value, what)
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{what} needs a time zone offset (got {value.isoformat()}).")
    if not dt.datetime(MIN_YEAR, 1, 2, tzinfo=dt.timezone.utc) < value:
        raise InvalidInput(f"{what} is out of range.")
    return value


def window(start: Any, end: Any, *, max_days: int) -> tuple[dt.datetime, dt.datetime]:
    start, end = aware(start, "start"), aware(end, "end")
    if end <= start:
        raise InvalidInput("The end must be after the start.")
    if end - start > dt.timedelta(days=max_days):
        raise InvalidInput(f"Please ask for at most {max_days} days at a time.")
    return start, end


def act_for(principal: Principal, *, patient_id: int | None, dentist_id: int | None) -> None:
    """May `principal` write on behalf of this patient with this dentist?

    admin: anyone; patient (and the `chatbot` service role, which acts for the one patient in
    its claims): own patient_id only; dentist: own dentist_id only.
    """
    if principal.role == "admin":
        return
    if principal.patient_scoped and patient_id == principal.patient_id:
        return
    if principal.role == "dentist" and dentist_id == principal.dentist_id:
        return
    raise Forbidden("You may only manage your own appointments.")


def manage_dentist(principal: Principal, dentist_id: int) -> None:
    """Availability and schedules: the dentist themself or an admin."""
    if principal.role == "admin":
        return
    if principal.role == "dentist" and principal.dentist_id == dentist_id:
        return
    raise Forbidden("Only that dentist or an admin may change this.")


def text_arg(value: Any, what: str, *, max_len: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be text.")
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"{what} is required.")
    if len(value) > max_len or "\x00" in value:
        raise InvalidInput(f"{what} is too long (at most {max_len} characters).")
    return value
