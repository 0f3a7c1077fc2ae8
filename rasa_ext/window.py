"""The events one turn needs: the session's last events plus what the earlier ones left behind.

Rasa 3.6's `SQLTrackerStore.retrieve` loads every event since the latest `session_started`
(`_event_query`: `timestamp >= max(timestamp of session_started)`) and replays them into a
`DialogueStateTracker`; the policies then featurize that whole history and the tracker is sent,
whole, to the action server. A session only ends after `session_expiration_time` idle minutes,
so a conversation kept busy all day costs more on every turn.

A turn only needs (a) the last few turns, for the rules and memoization (`max_history: 4`), and
(b) the state the earlier events produced: slot values, the active loop, paused or not. So
`window_events` reads at most the last N events of the session, starting at a user message (a
turn boundary), preceded by the latest stored event of each kind that carries state: per slot
its latest `slot` event, the latest `active_loop`, the latest `pause`/`resume`; a `restart` or
`reset_slots` before the window hides the slot (and loop) events before it, as Rasa's replay
would. Then one `action_listen` (the one before the window's first message): the window's own
actions were mostly predicted by rules and are hidden from memoization (`hide_rule_turn`), and
a history with no visible turn at all makes MemoizationPolicy fail (IndexError in
`_choose_last_user_input`); a conversation read whole always has its visible session start.
Reverts (`rewind`, `undo`) before the window could resurrect a slot the replay would
drop, so a session with one there is read whole (this bot has no rule that reverts). A last
turn longer than the window (a stop inside a form writes ~20 events) widens the read to
`LONG_TURN_REACH` windows, so the cut still falls on a turn boundary.

Three queries, each an index probe (two indexes on Rasa's `events` table, created by the
tracker store at start-up if missing): the last N rows by (sender_id, id); the latest session
start and floor events by (sender_id, type_name, ...), a handful of rows (one per session);
per slot its latest `slot` row by (sender_id, type_name, action_name, id). So the read costs
the same at event 100 and at event 50,000.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

FLOOR_TYPES = ("restart", "reset_slots", "rewind", "undo")
BOUND_TYPES = ["session_started", *FLOOR_TYPES]
LONG_TURN_REACH = 4  # a turn longer than the window: read up to this many windows to cut it

INDEXES = (  # every query below is an index probe; Rasa's own index is `sender_id` alone
    "CREATE INDEX IF NOT EXISTS events_sender_id_id ON events (sender_id, id)",
    "CREATE INDEX IF NOT EXISTS events_sender_type_name_id"
    " ON events (sender_id, type_name, action_name, id)",
)
# `(SELECT :sender)` hides the sender from the planner on purpose: with the literal, a
# conversation holding a large share of the table (one busy all day, or the bench's) made it
# walk the primary key backwards through every newer row of other senders; as a parameter the
# (sender_id, id) index is the plan, and the read costs the window, whatever the table holds.
LAST_ROWS = sa.text(
    "SELECT id, type_name, data FROM events WHERE sender_id = (SELECT CAST(:sender AS text))"
    " ORDER BY id DESC LIMIT :limit"
)
# The latest session start and, per kind, the latest floor event before the window, in one
# index scan. GROUP BY, not one `max(id)` per kind: Postgres rewrites a lone `max(id)` into
# "walk the primary key backwards until a row matches", which for a kind that never occurs
# visits every event of the session (measured ~1.6 ms per kind at 5,000 events).
BOUNDS = sa.text(
    "SELECT type_name, max(id) FROM events WHERE sender_id = :sender"
    " AND type_name = ANY(CAST(:types AS text[])) AND id < :stop GROUP BY type_name"
)
_LATEST = (
    "(SELECT id, data FROM events WHERE sender_id = :sender AND {where}"
    " AND id >= {floor} AND id < :stop ORDER BY id DESC LIMIT 1)"
)
STATE_ROWS = sa.text(
    "SELECT e.id, e.data FROM unnest(CAST(:slots AS text[])) AS n(name) CROSS JOIN LATERAL "
    + _LATEST.format(where="type_name = 'slot' AND action_name = n.name", floor=":slot_floor")
    + " e UNION ALL "
    + _LATEST.format(where="type_name = 'active_loop'", floor=":loop_floor")
    + " UNION ALL "
    + _LATEST.format(where="type_name IN ('pause', 'resume')", floor=":loop_floor")
)


def _decode(rows: list[Any]) -> list[dict[str, Any]]:
    return [json.loads(row.data) for row in rows]


def _last_rows(conn: Any, sender: str, limit: int) -> tuple[list[Any], list[Any] | None]:
    """The newest `limit + 1` rows, oldest first, and the window cut from them (from the first
    user message after the oldest row), or None when they hold no such turn boundary."""
    newest = list(conn.execute(LAST_ROWS, {"sender": sender, "limit": limit + 1}))
    newest.reverse()
    first_user = next((i for i, r in enumerate(newest) if i and r.type_name == "user"), None)
    return newest, None if first_user is None else newest[first_user:]


def session_events(
    conn: Any, sender: str, limit: int, slots: list[str]
) -> list[dict[str, Any]] | None:
    """The event dicts to rebuild `sender`'s tracker from, in order, or None for "read the
    whole session" (short sessions are read whole by this query too)."""
    rows = limit
    newest, window = _last_rows(conn, sender, rows)
    if window is None and len(newest) > rows:  # the last turn alone is longer than the window
        rows = LONG_TURN_REACH * limit
        newest, window = _last_rows(conn, sender, rows)
    for i in range(len(newest) - 1, -1, -1):
        if newest[i].type_name == "session_started":
            return _decode(newest[i:])  # the whole session fits in the window
    if len(newest) <= rows:
        return _decode(newest)  # the whole conversation fits
    if window is None:
        return None  # a turn of more than LONG_TURN_REACH windows: nothing sensible to cut
    stop = window[0].id
    bounds = {"sender": sender, "stop": stop, "types": BOUND_TYPES}
    latest = dict(conn.execute(BOUNDS, bounds).all())
    start = latest.get("session_started") or 0
    floors = {kind: id_ for kind, id_ in latest.items() if id_ > start}  # this session's
    if floors.get("rewind") or floors.get("undo"):
        return None
    loop_floor = max(start, floors.get("restart") or 0)
    slot_floor = max(loop_floor, floors.get("reset_slots") or 0)
    params = {
        "sender": sender,
        "stop": stop,
        "slots": slots,
        "slot_floor": slot_floor,
        "loop_floor": loop_floor,
    }
    state = sorted(conn.execute(STATE_ROWS, params), key=lambda row: row.id)
    events = _decode(window)
    listen = {"event": "action", "name": "action_listen", "timestamp": events[0].get("timestamp")}
    return [*_decode(state), listen, *events]
