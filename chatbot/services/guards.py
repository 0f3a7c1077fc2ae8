"""Argument checks and authorization rules shared by the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from chatbot.auth import Principal
from chatbot.errors import Forbidden, InvalidInput

MAX_ID = 2**31 - 1


def ident(value: Any, what: str) -> int:
    """A database id: a positive int that fits the integer columns."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise InvalidInput(f"{what} must be a positive whole number.")
    return value


def aware(value: Any, what: str) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise InvalidInput(f"{what} must be a date and time.")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{what} needs a time zone offset (got {value.isoformat()}).")
    if (
        not dt.datetime(1970, 1, 2, tzinfo=dt.timezone.utc)
        < value
        < dt.datetime(9999, 1, 1, tzinfo=dt.timezone.utc)
    ):
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
