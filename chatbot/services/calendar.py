"""Calendar feeds (RFC 5545) per dentist and per patient, rendered with `icalendar`.

A feed URL works without a bearer token (calendar apps cannot send one), so it carries a key:
HMAC-SHA256 over (kind, owner, version) under a key derived from the server secret. Only the
random `version` is stored; the database alone cannot produce a working URL, rotating draws a
new version (every old URL stops working) and revoking deletes it.

Each appointment is one VEVENT with a stable UID; `SEQUENCE` is the row's change counter (a
trigger bumps it), so clients replace their copy on reschedule; a cancelled appointment stays
in the feed with `STATUS:CANCELLED` so subscribed calendars drop it. Times carry the clinic's
TZID with a VTIMEZONE, so they stay right across DST changes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any, Literal

from icalendar import Calendar, Event
from sqlalchemy import Engine

from chatbot.auth import Principal
from chatbot.errors import Forbidden, InvalidInput, NotFound
from chatbot.repositories import calendar as feeds
from chatbot.repositories import catalog, unit
from chatbot.services.guards import ident

Kind = Literal["dentist", "patient"]
KINDS: tuple[Kind, ...] = ("dentist", "patient")
PAST = dt.timedelta(days=180)
FUTURE = dt.timedelta(days=730)
UID_DOMAIN = "brightsmile.calendar"
PRODID = "-//Bright Smile//Dental booking assistant//EN"
_NOT_FOUND = "No calendar at this address (the link may have been rotated or revoked)."


def _key(secret: str, kind: str, owner_id: int, version: str) -> str:
    subkey = hmac.new(secret.encode(), b"calendar-feed-v1", hashlib.sha256).digest()
    message = f"{kind}:{owner_id}:{version}".encode()
    return hmac.new(subkey, message, hashlib.sha256).hexdigest()


def feed_owner(principal: Principal, kind: str | None, owner_id: Any) -> tuple[Kind, int]:
    """Whose feed the caller asks for: their own by default; admins name any."""
    if kind is not None and kind not in KINDS:
        raise InvalidInput("kind must be 'dentist' or 'patient'.")
    if principal.role == "chatbot":
        raise Forbidden("Calendar links are for people, not the bot.")
    if principal.is_admin:
        if kind is None or owner_id is None:
            raise InvalidInput("An admin names the feed: kind=dentist|patient and id.")
        return kind, ident(owner_id, "id")
    own: tuple[Kind, int | None] = (
        ("patient", principal.patient_id)
        if principal.role == "patient"
        else ("dentist", principal.dentist_id)
    )
    if kind not in (None, own[0]) or owner_id not in (None, own[1]):
        raise Forbidden("You may only subscribe to your own calendar.")
    assert own[1] is not None
    return own[0], own[1]


def feed_key(
    engine: Engine, secret: str, kind: Kind, owner_id: int, *, rotate: bool = False
) -> str:
    """The feed's URL key; creates the feed on first use, draws a new one when `rotate`."""
    with unit.transaction(engine) as conn:
        if not feeds.owner_exists(conn, kind, owner_id):
            raise NotFound(f"There is no {kind} with id {owner_id}.")
        version = None if rotate else feeds.feed_version(conn, kind, owner_id)
        if version is None:
            version = secrets.token_hex(16)
            feeds.put_feed_version(conn, kind, owner_id, version)
    return _key(secret, kind, owner_id, version)


def revoke(engine: Engine, kind: Kind, owner_id: int) -> None:
    with unit.transaction(engine) as conn:
        feeds.delete_feed(conn, kind, owner_id)


def render_feed(
    engine: Engine, secret: str, kind: str, owner_id: int, key: str, *, now: dt.datetime
) -> bytes:
    """The .ics text, if `key` is this feed's current key; else NotFound (no hint which part
    was wrong)."""
    if kind not in KINDS or not key or len(key) > 128:
        raise NotFound(_NOT_FOUND)
    with unit.transaction(engine) as conn:
        version = feeds.feed_version(conn, kind, owner_id)
        if version is None or not hmac.compare_digest(_key(secret, kind, owner_id, version), key):
            raise NotFound(_NOT_FOUND)
        clinic = catalog.fetch_clinic(conn)
        rows = feeds.feed_rows(conn, kind, owner_id, start=now - PAST, end=now + FUTURE)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{clinic.name} appointments")
    calendar.add("x-wr-timezone", clinic.timezone)
    for row in rows:
        calendar.add_component(_event(row, kind, clinic.tz, clinic.address, now))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _event(row: dict[str, Any], kind: str, tz: Any, address: str, now: dt.datetime) -> Event:
    event = Event()
    event.add("uid", f"appointment-{row['id']}@{UID_DOMAIN}")
    event.add("dtstamp", now.astimezone(dt.timezone.utc))
    event.add("created", row["created_at"].astimezone(dt.timezone.utc))
    event.add("last-modified", row["updated_at"].astimezone(dt.timezone.utc))
    event.add("sequence", row["sequence"])
    event.add("dtstart", row["starts_at"].astimezone(tz))
    event.add("dtend", row["ends_at"].astimezone(tz))
    who = row["dentist_name"] if kind == "patient" else row["patient_name"]
    joiner = " with " if kind == "patient" else ": "
    event.add("summary", f"{row['treatment_name']}{joiner}{who}")
    event.add("status", "CANCELLED" if row["status"] == "cancelled" else "CONFIRMED")
    if address:
        event.add("location", address)
    return event
