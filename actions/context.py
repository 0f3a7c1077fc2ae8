"""What every action shares: the engine (built on first use, never at import), where slot
searches read from, the verified caller from the channel metadata, the clinic's clock and
time-phrase resolution."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import time
from typing import Any

from rasa_sdk import Tracker
from sqlalchemy import Engine

from chatbot.auth import TURN_AUDIENCE, Principal, verify_token
from chatbot.config import Settings, load_dotenv
from chatbot.db import database_url, make_engine
from chatbot.domain.models import Clinic
from chatbot.domain.timeparse import Resolution, resolve
from chatbot.errors import Unauthorized
from chatbot.live_slots import LiveSlots
from chatbot.services import catalog
from chatbot.services.slot_days import DbSlotSource
from chatbot.services.slot_search import SlotSource

log = logging.getLogger(__name__)
UTC = dt.timezone.utc
SIGN_IN = "Please sign in first, so I know whose appointments to look after."

CLINIC_TTL_S = 30.0

_engine: Engine | None = None
_clinic: tuple[float, Clinic] | None = None
_live: LiveSlots | None = None


def db_url() -> str:
    """`DATABASE_URL`, else the embedded server (left running for others)."""
    return database_url(Settings.from_env(), shared=True)


def engine() -> Engine:
    """The shared engine on `db_url()`."""
    global _engine
    if _engine is None:
        _engine = make_engine(db_url(), pool_size=5)
    return _engine


def use_engine(value: Engine | None) -> None:
    """Point the actions at another database (tests); None forgets it."""
    global _engine, _clinic
    _engine, _clinic = value, None


def use_live_slots(value: LiveSlots | None) -> None:
    """The server's listener-fed slot cache (set while it runs; None: searches read the DB)."""
    global _live
    _live = value


def live_slots() -> LiveSlots | None:
    return _live


async def slot_source() -> SlotSource:
    """Where the next slot search reads: the warm cache when its listener has seen every
    committed event (this conversation's own booking included), else the database."""
    if _live is None:
        return DbSlotSource(engine())
    return await _live.source()


def _metadata(tracker: Tracker) -> dict[str, Any]:
    """This message's channel metadata. Deliberately not the session-start metadata: a message
    without its own token must not inherit an earlier sender's identity."""
    latest = (tracker.latest_message or {}).get("metadata") or {}
    return latest if isinstance(latest, dict) else {}


@functools.cache
def _load_env() -> None:
    load_dotenv()  # once: APP_JWT_SECRET may come from .env in local runs


def principal(tracker: Tracker) -> Principal | None:
    """The caller proven by `metadata.token`: a turn token the chat gateway minted (HS256,
    APP_JWT_SECRET, `aud=actions`); None when absent or bad. A user's own web token is not
    accepted here. Role and ids come from the token claims only, never from other metadata
    or the text."""
    _load_env()
    token = _metadata(tracker).get("token")
    try:
        return verify_token(
            os.environ.get("APP_JWT_SECRET", ""),
            token if isinstance(token, str) else None,
            audience=TURN_AUDIENCE,
        )
    except Unauthorized as exc:
        if token:
            log.info("chat token rejected: %s", exc)
        return None


def clinic() -> Clinic:
    """The clinic row (time zone, hours, info), re-read at most every CLINIC_TTL_S seconds."""
    global _clinic
    if _clinic is None or time.monotonic() - _clinic[0] > CLINIC_TTL_S:
        _clinic = (time.monotonic(), catalog.get_clinic(engine()))
    return _clinic[1]


def now(tz: dt.tzinfo | None = None) -> dt.datetime:
    """The current instant in the clinic's zone (or `tz`)."""
    return dt.datetime.now(tz or clinic().tz)


def user_text(tracker: Tracker) -> str:
    """The latest message text; button payloads ("/intent{...}") count as no text."""
    text = (tracker.latest_message or {}).get("text") or ""
    return "" if text.startswith("/") else text


def when_of(tracker: Tracker, tz: dt.tzinfo) -> Resolution:
    """What the latest message says about dates and times (the project's resolver only)."""
    text = user_text(tracker)
    return resolve(text, now(tz)) if text else Resolution()


def encode_window(start: dt.datetime, end: dt.datetime) -> str:
    return f"{start.isoformat()}/{end.isoformat()}"


def decode_window(value: Any) -> tuple[dt.datetime, dt.datetime] | None:
    try:
        start, end = str(value).split("/")
        return dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end)
    except ValueError:
        return None
