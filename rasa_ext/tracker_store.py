"""A SQL tracker store that never persists bearer tokens.

The chat gateway puts a short-lived turn token into each message's metadata so the action
server can tell who is talking. Rasa keeps that metadata in the user event and, on a new
session, in the `session_started_metadata` slot; the stock `SQLTrackerStore` writes both to
the `events` table as they are. This store removes every `token` key, and anything shaped
like a JWT (a user may paste one), from each event before it is written. The running turn
is unaffected: Rasa hands the in-memory tracker (token included) to the action server and
only saves it afterwards.

endpoints.yml: `tracker_store: {type: rasa_ext.tracker_store.TokenFreeSQLTrackerStore, ...}`
with the same keys as `type: SQL`.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

logger = logging.getLogger(__name__)

SECRET_KEYS = frozenset({"token", "access_token", "id_token", "authorization"})
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
REDACTED = "[redacted]"


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
    """`SQLTrackerStore` whose `save` writes scrubbed events (rasa 3.6 `save`, plus `scrub`)."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = scrub(event.as_dict())
                intent = data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY)
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=intent,
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()
        logger.debug(f"Tracker with sender_id '{tracker.sender_id}' stored to database")
