"""A SQL tracker store that never persists bearer tokens.

The chat gateway puts a short-lived turn token into each message's metadata so the action
server can tell who is talking. Rasa keeps that metadata in the user event and, on a new
session, in the `session_started_metadata` slot; the stock `SQLTrackerStore` writes both to
the `events` table as they are. This store removes every `token` key, and anything shaped
like a JWT (a user may paste one), from each event before it is written. The running turn
is unaffected: Rasa hands the in-memory tracker (token included) to the action server and
only saves it afterwards.

It also bounds what a turn reads (rasa_ext/window.py): at most `window_events` events of the
session plus the state the earlier ones left (0 = Rasa's own read of the whole session;
`RASA_TRACKER_WINDOW_EVENTS` overrides the endpoints.yml value). The tracker keeps how many of
its events are already stored, so `save` appends exactly the turn's new ones (Rasa's own diff
counts the session's rows, which a bounded tracker does not hold).

endpoints.yml: `tracker_store: {type: rasa_ext.tracker_store.TokenFreeSQLTrackerStore, ...}`
with the same keys as `type: SQL`, plus `window_events`.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from rasa_ext.window import INDEXES, session_events

logger = logging.getLogger(__name__)

SECRET_KEYS = frozenset({"token", "access_token", "id_token", "authorization"})
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
REDACTED = "[redacted]"
DEFAULT_WINDOW_EVENTS = 30
STORED = "_rasa_ext_stored_events"  # attribute on trackers this store built or saved


def scrub(value: Any) -> Any:
    """A copy of `value` without secret keys and with JWT-shaped strings redacted."""
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if str(k).lower() not in SECRET_KEYS}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, str) and "eyJ" in value:
        return JWT_SHAPE.sub(REDACTED, value)
    return value


class TokenFreeSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` whose `save` writes scrubbed events (rasa 3.6 `save`, plus `scrub`,
    in one statement) and whose `retrieve` reads a bounded window of the session."""

    def __init__(self, *args: Any, window_events: int = DEFAULT_WINDOW_EVENTS, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.window_events = int(os.environ.get("RASA_TRACKER_WINDOW_EVENTS", window_events))
        if self.window_events > 0 and self.engine.dialect.name == "postgresql":
            self._create_indexes()

    def _create_indexes(self) -> None:
        """The bounded read's indexes (IF NOT EXISTS: several Rasa servers may race here; a
        loser logs and carries on, the winner's index serves both)."""
        for ddl in INDEXES:
            try:
                with self.engine.begin() as conn:
                    conn.execute(sa.text(ddl))
            except sa.exc.SQLAlchemyError as exc:
                logger.warning("could not create an events index (%s): %s", ddl, exc)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        bounded = self.window_events > 0 and self.engine.dialect.name == "postgresql"
        if not bounded:
            return await super().retrieve(sender_id)
        with self.engine.connect() as conn:
            slots = [slot.name for slot in self.domain.slots]
            events = session_events(conn, sender_id, self.window_events, slots)
        if events is None:
            tracker = await super().retrieve(sender_id)
        elif not events:
            return None
        else:
            tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        if tracker is not None:
            setattr(tracker, STORED, len(tracker.events))
        return tracker

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        """The tracker's events not stored yet: those after the ones it was read with."""
        stored = getattr(tracker, STORED, None)
        if stored is None:
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, stored, None)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        with self.session_scope() as session:
            rows = []
            for event in self._additional_events(session, tracker):
                data = scrub(event.as_dict())
                intent = data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY)
                rows.append(
                    {
                        "sender_id": tracker.sender_id,
                        "type_name": event.type_name,
                        "timestamp": data.get("timestamp"),
                        "intent_name": intent,
                        "action_name": data.get("name"),
                        "data": json.dumps(data),
                    }
                )
            if rows:  # one multi-row INSERT (ids in list order), not one ORM flush per event
                session.execute(self.SQLEvent.__table__.insert(), rows)
            session.commit()
        setattr(tracker, STORED, len(tracker.events))
        logger.debug(f"Tracker with sender_id '{tracker.sender_id}' stored to database")
