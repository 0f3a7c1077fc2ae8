"""Helpers for the action tests: a real domain, signed tokens, trackers shaped like the ones
Rasa sends, and running actions against the seeded database (no mocks)."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import Engine, text

from actions import context
from chatbot.auth import Principal, issue_turn_token
from chatbot.config import REPO_ROOT

SECRET = "action-tests-secret-0123456789abcdef"
RASA_PY = REPO_ROOT / ".venv-rasa" / "bin" / "python"


@functools.cache
def domain() -> dict[str, Any]:
    """domain.yml as the action server receives it (parsed by the Rasa venv's PyYAML)."""
    code = "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))"
    out = subprocess.run(
        [str(RASA_PY), "-c", code, str(REPO_ROOT / "domain.yml")],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout))


@pytest.fixture(autouse=True)
def bot_db(seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """Actions use the seeded test database and verify tokens with the test secret."""
    monkeypatch.setenv("APP_JWT_SECRET", SECRET)
    context.use_engine(seeded_engine)
    yield seeded_engine
    context.use_engine(None)


def token(role: str = "patient", ident: int = 1, secret: str = SECRET) -> str:
    ids = {"patient": {"patient_id": ident}, "dentist": {"dentist_id": ident}}.get(role, {})
    sub = f"{role}-{ident}" if ids else role
    return issue_turn_token(secret, Principal(sub=sub, role=role, **ids))  # type: ignore[arg-type]


def tracker(
    text: str = "",
    intent: str = "inform",
    *,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    set_now: dict[str, Any] | None = None,
    auth: str | None = "patient-1",
    metadata: dict[str, Any] | None = None,
    form: str | None = None,
) -> Tracker:
    """A tracker after the user said `text`; `set_now` are the slots Rasa extracted this turn
    (they are what a FormValidationAction validates); `auth` "role-id" signs a token."""
    meta = dict(metadata or {})
    if auth:
        role, _, ident = auth.partition("-")
        meta["token"] = token(role, int(ident or 0))
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0},
        "entities": entities or [],
        "metadata": meta,
    }
    values = {name: None for name in domain()["slots"]} | {"requested_slot": None}
    values |= (slots or {}) | (set_now or {})
    events: list[dict[str, Any]] = [{"event": "user", "text": text, "parse_data": latest}]
    events += [{"event": "slot", "name": k, "value": v} for k, v in (set_now or {}).items()]
    return Tracker(
        "test-user",
        values,
        latest,
        events,
        False,
        None,
        {"name": form} if form else {},
        "action_listen",
    )


def run(action: Action, trk: Tracker) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run an action; returns (messages, slot values it set)."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(_call(action, dispatcher, trk))
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return dispatcher.messages, slots


def run_events(action: Action, trk: Tracker) -> list[dict[str, Any]]:
    """Run an action; returns every event it returned (slots, follow-ups, ...)."""
    return list(asyncio.run(_call(action, CollectingDispatcher(), trk)))


async def _call(action: Action, dispatcher: CollectingDispatcher, trk: Tracker) -> Any:
    result = action.run(dispatcher, trk, domain())
    return await result if asyncio.iscoroutine(result) else result


def said(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def rows(engine: Engine, sql: str, **params: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text(sql), params)]


def next_weekday(isodow: int, hour: int, minute: int = 0, weeks: int = 1) -> dt.datetime:
    """A clinic-local time on a weekday at least a week ahead (all seed dentists work)."""
    tz = context.clinic().tz
    today = dt.datetime.now(tz).date()
    day = today + dt.timedelta(days=(isodow - today.isoweekday()) % 7 + 7 * weeks)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz)


def choice(dentist_id: int, start: dt.datetime) -> str:
    return f"{dentist_id}|{start.isoformat()}"
