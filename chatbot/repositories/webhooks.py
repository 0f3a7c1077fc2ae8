"""SQL for webhook endpoints, deliveries and attempts (tables in 0003_webhooks.sql)."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from chatbot.errors import NotFound
from chatbot.events import Event
from chatbot.repositories.placeholders import for_psycopg

Conn = AsyncConnection[Any]


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


async def _rows(conn: Conn, sql: str, params: Any = None) -> list[dict[str, Any]]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(sql, params)
        return await cur.fetchall() if cur.description else []


_CREATE_ENDPOINT = for_psycopg(
    "INSERT INTO webhook_endpoint (url, secret, types, cursor)"
    " SELECT :url, :secret, :types, coalesce(max(id), 0) FROM sync_event"
    " RETURNING id, url, secret, types, active, created_at"
)


async def create_endpoint(conn: Conn, url: str, types: list[str]) -> dict[str, Any]:
    rows = await _rows(conn, _CREATE_ENDPOINT, {"url": url, "secret": new_secret(), "types": types})
    return rows[0]


async def list_endpoints(conn: Conn) -> list[dict[str, Any]]:
    return await _rows(
        conn,
        "SELECT e.id, e.url, e.types, e.active, e.created_at,"
        " count(d.*) FILTER (WHERE d.status = 'pending') AS pending,"
        " count(d.*) FILTER (WHERE d.status = 'delivered') AS delivered,"
        " count(d.*) FILTER (WHERE d.status = 'dead') AS dead"
        " FROM webhook_endpoint e LEFT JOIN webhook_delivery d ON d.endpoint_id = e.id"
        " GROUP BY e.id ORDER BY e.id",
    )


_DELETE_ENDPOINT = for_psycopg("DELETE FROM webhook_endpoint WHERE id = :id")


async def delete_endpoint(conn: Conn, endpoint_id: int) -> None:
    cur = await conn.execute(_DELETE_ENDPOINT, {"id": endpoint_id})
    if cur.rowcount == 0:
        raise NotFound(f"no webhook endpoint {endpoint_id}")


_ENDPOINT_EXISTS = for_psycopg("SELECT 1 FROM webhook_endpoint WHERE id = :id")
_DELIVERIES = for_psycopg(
    "SELECT d.id, d.event_id, s.type AS event_type, d.status, d.attempts, d.window_start,"
    " d.next_attempt_at, d.last_attempt_at, d.last_status, d.last_error, d.delivered_at,"
    " coalesce((SELECT jsonb_agg(jsonb_build_object('attempt', a.attempt,"
    "   'attempted_at', a.attempted_at, 'status_code', a.status_code, 'error', a.error,"
    "   'duration_ms', a.duration_ms) ORDER BY a.attempt)"
    "   FROM webhook_attempt a WHERE a.delivery_id = d.id), '[]'::jsonb) AS attempt_log"
    " FROM webhook_delivery d JOIN sync_event s ON s.id = d.event_id"
    " WHERE d.endpoint_id = :id ORDER BY d.id DESC LIMIT :limit"
)


async def list_deliveries(conn: Conn, endpoint_id: int, limit: int = 200) -> list[dict[str, Any]]:
    if not await _rows(conn, _ENDPOINT_EXISTS, {"id": endpoint_id}):
        raise NotFound(f"no webhook endpoint {endpoint_id}")
    return await _rows(conn, _DELIVERIES, {"id": endpoint_id, "limit": limit})


_ENQUEUE = for_psycopg(
    "WITH ends AS (SELECT id, cursor, types FROM webhook_endpoint"
    "   WHERE active AND cursor < :head FOR UPDATE SKIP LOCKED),"
    " ins AS (INSERT INTO webhook_delivery (endpoint_id, event_id, window_start,"
    "   next_attempt_at)"
    "   SELECT e.id, s.id, :now, :now FROM ends e JOIN sync_event s"
    "   ON s.id > e.cursor AND s.id <= :head"
    "   AND (cardinality(e.types) = 0 OR s.type = ANY (e.types))"
    "   ON CONFLICT DO NOTHING RETURNING 1),"
    " moved AS (UPDATE webhook_endpoint w SET cursor = :head FROM ends"
    "   WHERE w.id = ends.id)"
    " SELECT count(*) AS n FROM ins"
)


async def enqueue_new(conn: Conn, now: dt.datetime) -> int:
    """Turn outbox events past each active endpoint's cursor into pending deliveries."""
    async with conn.transaction():
        head_row = await _rows(conn, "SELECT coalesce(max(id), 0) AS head FROM sync_event")
        head = head_row[0]["head"]
        inserted = await _rows(conn, _ENQUEUE, {"head": head, "now": now})
    return int(inserted[0]["n"])


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    attempts: int
    window_start: dt.datetime
    url: str
    secret: str
    event: Event


_CLAIM_DUE = for_psycopg(
    "WITH due AS (SELECT id FROM webhook_delivery"
    "   WHERE status = 'pending' AND next_attempt_at <= :now"
    "   ORDER BY next_attempt_at, id LIMIT :n FOR UPDATE SKIP LOCKED),"
    " claimed AS (UPDATE webhook_delivery d SET next_attempt_at = :lease"
    "   FROM due WHERE d.id = due.id"
    "   RETURNING d.id, d.endpoint_id, d.event_id, d.attempts, d.window_start)"
    " SELECT c.id, c.attempts, c.window_start, e.url, e.secret, s.id AS event_id,"
    "  s.type, s.created_at, s.dentist_id, s.patient_id, s.data"
    " FROM claimed c JOIN webhook_endpoint e ON e.id = c.endpoint_id"
    " JOIN sync_event s ON s.id = c.event_id ORDER BY s.id, c.id"
)


async def claim_due(
    conn: Conn, now: dt.datetime, lease_until: dt.datetime, limit: int
) -> list[Claimed]:
    """Lease due deliveries (SKIP LOCKED, so concurrent dispatchers never send one twice)."""
    async with conn.transaction():
        rows = await _rows(conn, _CLAIM_DUE, {"now": now, "lease": lease_until, "n": limit})
    return [
        Claimed(
            delivery_id=r["id"],
            attempts=r["attempts"],
            window_start=r["window_start"],
            url=r["url"],
            secret=r["secret"],
            event=Event(
                id=r["event_id"],
                type=r["type"],
                occurred_at=r["created_at"],
                dentist_id=r["dentist_id"],
                patient_id=r["patient_id"],
                data=r["data"],
            ),
        )
        for r in rows
    ]


_INSERT_ATTEMPT = for_psycopg(
    "INSERT INTO webhook_attempt (delivery_id, attempt, attempted_at, status_code, error,"
    " duration_ms) VALUES (:delivery_id, :attempt, :at, :status_code, :error, :duration_ms)"
)
_RECORD_OUTCOME = for_psycopg(
    "UPDATE webhook_delivery SET status = :outcome, attempts = :attempt,"
    " next_attempt_at = :next_attempt_at, last_attempt_at = :at, last_status = :status_code,"
    " last_error = :error, delivered_at = coalesce(:delivered_at, delivered_at)"
    " WHERE id = :delivery_id"
)


async def record_attempt(
    conn: Conn,
    claimed: Claimed,
    *,
    at: dt.datetime,
    status_code: int | None,
    error: str | None,
    duration_ms: int,
    outcome: str,
    next_attempt_at: dt.datetime | None,
) -> None:
    params = {
        "delivery_id": claimed.delivery_id,
        "attempt": claimed.attempts + 1,
        "at": at,
        "status_code": status_code,
        "error": error,
        "duration_ms": duration_ms,
        "outcome": outcome,
        "next_attempt_at": next_attempt_at,
        "delivered_at": at if outcome == "delivered" else None,
    }
    async with conn.transaction():
        await conn.execute(_INSERT_ATTEMPT, params)
        await conn.execute(_RECORD_OUTCOME, params)


_REQUEUE = (
    "UPDATE webhook_delivery SET status = 'pending', next_attempt_at = :now, window_start = :now"
)
_REQUEUE_DEAD = for_psycopg(_REQUEUE + " WHERE status = 'dead'")
_REQUEUE_ONE = for_psycopg(_REQUEUE + " WHERE id = :id")


async def redeliver(conn: Conn, now: dt.datetime, delivery_id: int | None = None) -> int:
    """Queue a delivery (any status) again with a fresh retry window; `None` = every dead one.
    Receivers dedupe by webhook-id, so resending a delivered event is safe."""
    if delivery_id is None:
        cur = await conn.execute(_REQUEUE_DEAD, {"now": now})
        return cur.rowcount
    cur = await conn.execute(_REQUEUE_ONE, {"now": now, "id": delivery_id})
    if cur.rowcount == 0:
        raise NotFound(f"no webhook delivery {delivery_id}")
    return cur.rowcount


async def delivery_counts(conn: Conn) -> dict[str, int]:
    rows = await _rows(
        conn,
        "SELECT (SELECT count(*) FROM webhook_endpoint) AS endpoints,"
        " count(*) FILTER (WHERE status = 'pending') AS pending,"
        " count(*) FILTER (WHERE status = 'delivered') AS delivered,"
        " count(*) FILTER (WHERE status = 'dead') AS dead,"
        " (SELECT count(*) FROM webhook_attempt) AS attempts FROM webhook_delivery",
    )
    return {k: int(v) for k, v in rows[0].items()}
