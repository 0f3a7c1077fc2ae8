"""Webhooks: signed, retried on schedule (fake clock), dead-lettered, redelivered, deduped."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections import Counter
from typing import Any

import psycopg
import pytest
from aiohttp import web
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Engine
from standardwebhooks import Webhook
from sync_support import auth, future_weekday, settings

from chatbot.db import libpq_url
from chatbot.repositories import webhooks as store
from sync import webhooks
from sync.app import create_app
from sync.webhooks import WebhookDispatcher

# The fake clock starts at the real present (the outbox rows carry the database's now()) and
# walks days ahead; everything that reads the time in these tests is handed this clock.
T0 = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


class FakeClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


class Receiver:
    """A local endpoint that verifies every signature and dedupes by webhook-id."""

    def __init__(self) -> None:
        self.secret = ""
        self.up = True
        self.verified: list[str] = []  # every correctly signed request's webhook-id
        self.acked: Counter[str] = Counter()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.text()
        Webhook(self.secret).verify(body, dict(request.headers))  # raises if forged
        msg_id = request.headers["webhook-id"]
        self.verified.append(msg_id)
        if not self.up:
            return web.Response(status=503)
        self.acked[msg_id] += 1
        return web.Response(status=204)


@pytest.fixture
async def receiver(aiohttp_server: Any) -> tuple[Receiver, str]:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hook", rec.handle)
    server = await aiohttp_server(app, host="127.0.0.1")
    return rec, str(server.make_url("/hook"))


@pytest.fixture
async def pool(db_url: str) -> Any:
    p: AsyncConnectionPool[Any] = AsyncConnectionPool(
        libpq_url(db_url), min_size=1, max_size=4, open=False, kwargs={"autocommit": True}
    )
    await p.open()
    yield p
    await p.close()


def emit(db_url: str, n: int = 1) -> None:
    with psycopg.connect(libpq_url(db_url), autocommit=True) as conn:
        for i in range(n):
            conn.execute(
                "INSERT INTO handoff_request (patient_id, sender, reason) VALUES (NULL, 's', %s)",
                (str(i),),
            )


async def _delivery(pool: Any, endpoint_id: int) -> dict[str, Any]:
    async with pool.connection() as conn:
        rows = await store.list_deliveries(conn, endpoint_id)
    assert len(rows) == 1
    return rows[0]


async def test_retry_schedule_dead_letter_and_redeliver(
    pool: Any, receiver: tuple[Receiver, str], db_url: str
) -> None:
    rec, url = receiver
    clock = FakeClock()
    dispatcher = WebhookDispatcher(pool, clock=clock)
    async with pool.connection() as conn:
        endpoint = await store.create_endpoint(conn, url, [])
    rec.secret, rec.up = endpoint["secret"], False
    emit(db_url)
    offsets = []
    while True:
        made = await dispatcher.run_once()
        if made:
            offsets.append((clock.now - T0).total_seconds())
        d = await _delivery(pool, endpoint["id"])
        if d["status"] == "dead":
            break
        assert d["status"] == "pending" and made == 1
        assert await dispatcher.run_once() == 0  # not due yet: nothing sent early
        clock.now = d["next_attempt_at"]
    gaps = [b - a for a, b in itertools.pairwise(offsets)]
    assert gaps[:7] == [5, 300, 1800, 7200, 18000, 36000, 36000]
    assert set(gaps[7:]) == {36000}
    assert offsets[-2] < 72 * 3600 <= offsets[-1]  # tried for >= 72 h, then dead
    assert d["attempts"] == len(offsets) == len(rec.verified) == 13
    assert [a["attempt"] for a in d["attempt_log"]] == list(range(1, 14))
    assert all(a["status_code"] == 503 for a in d["attempt_log"])
    assert set(rec.verified) == {str(d["event_id"])}  # webhook-id = the event id

    rec.up = True
    assert await webhooks.redeliver(db_url, None, clock) == 1  # what the CLI's --all-dead runs
    assert await dispatcher.run_once() == 1
    d = await _delivery(pool, endpoint["id"])
    assert d["status"] == "delivered" and d["attempts"] == 14
    assert rec.acked == Counter({str(d["event_id"]): 1})
    assert await dispatcher.run_once() == 0


async def test_acknowledged_ids_are_never_sent_again(
    pool: Any, receiver: tuple[Receiver, str], db_url: str
) -> None:
    rec, url = receiver
    clock = FakeClock()
    async with pool.connection() as conn:
        endpoint = await store.create_endpoint(conn, url, ["handoff.requested"])
    rec.secret = endpoint["secret"]
    emit(db_url, 40)
    a, b = WebhookDispatcher(pool, clock=clock), WebhookDispatcher(pool, clock=clock)
    await asyncio.gather(a.run_once(), b.run_once(), a.run_once())  # racing dispatchers
    clock.now += dt.timedelta(days=4)  # long after any lease/retry
    await asyncio.gather(a.run_once(), b.run_once())
    assert len(rec.acked) == 40 and set(rec.acked.values()) == {1}
    async with pool.connection() as conn:
        assert (await store.delivery_counts(conn))["delivered"] == 40


def test_redeliver_cli_parses_and_runs(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert webhooks.main(["redeliver", "--all-dead"]) == 0
    assert "0 deliveries queued" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        webhooks.main(["redeliver"])


async def test_admin_api_registers_delivers_and_redelivers(
    seeded_engine: Engine, db_url: str, aiohttp_client: Any, receiver: tuple[Receiver, str]
) -> None:
    rec, url = receiver
    client = await aiohttp_client(create_app(settings(), engine=seeded_engine, db_url=db_url))
    admin = auth("admin")
    resp = await client.post("/api/webhooks", json={"url": url, "types": []}, headers=admin)
    assert resp.status == 201
    created = await resp.json()
    assert created["secret"].startswith("whsec_")
    rec.secret = created["secret"]
    starts = future_weekday(3, 9).isoformat()
    resp = await client.post(
        "/api/appointments",
        json={"dentist_id": 1, "treatment": "checkup", "starts_at": starts},
        headers=auth("patient", 1),
    )
    assert resp.status == 201, await resp.text()
    deliveries: list[dict[str, Any]] = []
    async with asyncio.timeout(10):
        while not (deliveries and deliveries[0]["status"] == "delivered"):
            await asyncio.sleep(0.05)
            r = await client.get(f"/api/webhooks/{created['id']}/deliveries", headers=admin)
            deliveries = await r.json()
    assert len(rec.acked) == 1
    listed = await (await client.get("/api/webhooks", headers=admin)).json()
    assert [e["id"] for e in listed] == [created["id"]] and "secret" not in listed[0]
    r = await client.post(
        f"/api/webhooks/deliveries/{deliveries[0]['id']}/redeliver", headers=admin
    )
    assert r.status == 202
    async with asyncio.timeout(10):
        while sum(rec.acked.values()) < 2:
            await asyncio.sleep(0.05)
    assert list(rec.acked) == [str(deliveries[0]["event_id"])]  # same webhook-id: receiver dedupes
    r = await client.post("/api/webhooks/deliveries/999999/redeliver", headers=admin)
    assert r.status == 404 and (await r.json())["error"] == "not_found"
    assert (await client.delete(f"/api/webhooks/{created['id']}", headers=admin)).status == 204
    assert (await client.delete(f"/api/webhooks/{created['id']}", headers=admin)).status == 404
