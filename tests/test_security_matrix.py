"""Security matrix: every case states the expected outcome, observes the real one against a
running `create_app` (real Postgres, real listener), and proves the database did not change
(row counts of every table + the newest outbox id), except for the exact rows a case is
allowed to write. The table of results goes to `results/security_matrix.md` (copied into
docs/reliability.md).

One app and one database serve the whole module (cases are independent reads or rejected
writes), so ~45 cases take a few seconds.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
import pytest
import pytest_asyncio
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestClient, TestServer
from booking_support import ADMIN, weekday_at
from db_support import SEED_TODAY, create_database, drop_database
from sqlalchemy import Engine, text
from sync_support import SECRET, auth, recv, settings, token

from chatbot import db
from chatbot.config import REPO_ROOT
from chatbot.seed import seed_demo
from chatbot.services import booking
from sync.app import create_app

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
]

RESULTS = REPO_ROOT / "results" / "security_matrix.md"
STATIC_JS = REPO_ROOT / "sync" / "static" / "js"
TABLES = (
    "appointment",
    "availability_rule",
    "availability_exception",
    "handoff_request",
    "sync_event",
    "patient",
    "dentist",
    "treatment",
    "app_user",
    "webhook_endpoint",
    "webhook_delivery",
)
WRONG_SECRET = "an-attacker-guessed-secret-0123456789abcdef"
SQLISH = "x'); DROP TABLE appointment; --"
HTMLJS = '<script>alert(1)</script><img src=x onerror="alert(document.cookie)">'


# --- the shared world ------------------------------------------------------------------------


@dataclass
class World:
    client: TestClient[Any, Any]
    engine: Engine
    rasa_seen: list[dict[str, Any]]
    ids: dict[str, int] = field(default_factory=dict)  # named appointments
    rows: list[list[str]] = field(default_factory=list)  # the results table


def _b64(obj: dict[str, Any]) -> str:
    raw = json.dumps(obj, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims(role: str = "patient", **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"sub": f"{role}-1", "role": role, "exp": int(time.time()) + 600}
    if role == "patient":
        base["patient_id"] = 1
    return base | extra


def bearer(tok: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tok}"}


def none_alg_token() -> str:
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims('admin', sub='admin'))}."


def tampered_token() -> str:
    """A real patient token whose payload was edited to say admin (signature kept)."""
    head, _, sig = token("patient", 1).split(".")
    return f"{head}.{_b64(claims('admin', sub='patient-1'))}.{sig}"


def db_state(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        state = {
            t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in TABLES
        }
        state["max_event_id"] = int(
            conn.execute(text("SELECT coalesce(max(id), 0) FROM sync_event")).scalar_one()
        )
    return state


def unchanged_except(
    before: dict[str, int], after: dict[str, int], allowed: dict[str, int]
) -> bool:
    for key in TABLES:
        if after[key] - before[key] != allowed.get(key, 0):
            return False
    return allowed.get("sync_event", 0) > 0 or after["max_event_id"] == before["max_event_id"]


async def fake_rasa(seen: list[dict[str, Any]]) -> TestServer:
    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        seen.append(body)
        return web.json_response([{"text": body["message"]}])

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


def seed_world(engine: Engine) -> dict[str, int]:
    """Patient 1's appointments (one live, one cancelled, one hard-DELETEd) with dentist 1, then
    patient 2's with dentist 2 last (the marker every socket of patient 2 / dentist 2 sees)."""
    with engine.begin() as conn:
        seed_demo(conn, SEED_TODAY)

    def book(patient: int, dentist: int, hour: int) -> int:
        doc = booking.book(
            engine, ADMIN, patient_id=patient, dentist_id=dentist, treatment="checkup",
            starts_at=weekday_at(hour, weeks_ahead=2, isodow=2),
        )  # fmt: skip
        return int(doc["id"])

    ids = {"p1_live": book(1, 1, 9), "p1_cancelled": book(1, 1, 10), "p1_deleted": book(1, 1, 11)}
    booking.cancel(engine, ADMIN, ids["p1_cancelled"])
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM appointment WHERE id = :id"), {"id": ids["p1_deleted"]})
    ids["p2_marker"] = book(2, 2, 12)
    return ids


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(pg_root_url: str, template_url: str) -> AsyncIterator[World]:
    url = create_database(pg_root_url, template_url)
    engine = db.make_engine(url, pool_size=5, max_overflow=20)
    ids = seed_world(engine)
    seen: list[dict[str, Any]] = []
    rasa = await fake_rasa(seen)
    app = create_app(
        settings(rasa_url=str(rasa.make_url("")).rstrip("/")), engine=engine, db_url=url
    )
    client: TestClient[Any, Any] = TestClient(TestServer(app))
    await client.start_server()
    w = World(client=client, engine=engine, rasa_seen=seen, ids=ids)
    yield w
    await client.close()
    await rasa.close()
    engine.dispose()
    drop_database(pg_root_url, url)
    write_table(w.rows)


def write_table(rows: list[list[str]]) -> None:
    head = ["#", "Category", "Case", "Expected", "Observed", "DB unchanged", "Result"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    passed = sum(1 for r in rows if r[-1] == "pass")
    lines.append("")
    lines.append(f"{passed}/{len(rows)} cases pass.")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")


# --- cases -------------------------------------------------------------------------------------

Run = Callable[[World], Awaitable[Any]]


@dataclass(frozen=True)
class Case:
    name: str
    category: str
    expect: Any
    run: Run
    writes: tuple[tuple[str, int], ...] = ()  # rows the case may add, e.g. (("appointment", 1),)


CASES: list[Case] = []


def case(name: str, category: str, expect: Any, **writes: int) -> Callable[[Run], Run]:
    def register(fn: Run) -> Run:
        CASES.append(Case(name, category, expect, fn, tuple(writes.items())))
        return fn

    return register


async def status_of(w: World, method: str, path: str, **kwargs: Any) -> int:
    async with w.client.request(method, path, **kwargs) as resp:
        await resp.read()
        return resp.status


async def ws_status(w: World, path: str, headers: dict[str, str] | None = None) -> int:
    try:
        ws = await w.client.ws_connect(path, headers=headers)
    except aiohttp.WSServerHandshakeError as exc:
        return exc.status
    await ws.close()
    return 101


# JWT defects, all on GET /api/appointments (any valid token would get 200 there).
APPTS = "/api/appointments"
_jwt_cases: list[tuple[str, Callable[[], dict[str, str]]]] = [
    ("no Authorization header", lambda: {}),
    ("garbage token", lambda: bearer("abc.def.ghi")),
    ("not a JWT at all", lambda: bearer("🦷" * 10)),
    ("wrong secret", lambda: bearer(jwt.encode(claims(), WRONG_SECRET, algorithm="HS256"))),
    ("expired token", lambda: bearer(token("patient", 1, ttl_s=-30))),
    ("alg=none (unsigned)", lambda: bearer(none_alg_token())),
    ("HS512 with the right secret", lambda: bearer(jwt.encode(claims(), SECRET, "HS512"))),
    ("payload edited patient→admin", lambda: bearer(tampered_token())),
    ("unknown role 'superuser'", lambda: bearer(jwt.encode(claims("superuser"), SECRET, "HS256"))),
    ("patient role without patient_id",
     lambda: bearer(jwt.encode(claims("patient", patient_id=None), SECRET, "HS256"))),
    ("no exp claim",
     lambda: bearer(jwt.encode({"sub": "admin", "role": "admin"}, SECRET, "HS256"))),
    ("Basic scheme instead of Bearer", lambda: {"Authorization": "Basic YWRtaW46YWRtaW4="}),
    ("5 KB token (over the 4 KB cap)", lambda: bearer("a" * 5000)),
]  # fmt: skip
for _name, _headers in _jwt_cases:

    async def _jwt_case(w: World, h: Callable[[], dict[str, str]] = _headers) -> int:
        return await status_of(w, "GET", APPTS, headers=h())

    case(f"JWT: {_name} → GET {APPTS}", "auth", 401)(_jwt_case)


@case("JWT in ?token= on a REST endpoint (only /ws accepts it)", "auth", 401)
async def _query_token_rest(w: World) -> int:
    return await status_of(w, "GET", f"{APPTS}?token={token('admin')}")


@case("WS: wrong-secret token in ?token=", "auth", 401)
async def _ws_wrong_secret(w: World) -> int:
    forged = jwt.encode(claims("admin", sub="admin"), WRONG_SECRET, algorithm="HS256")
    return await ws_status(w, f"/ws?token={forged}")


@case("WS: expired token in Authorization", "auth", 401)
async def _ws_expired(w: World) -> int:
    return await ws_status(w, "/ws", bearer(token("admin", ttl_s=-30)))


@case("WS: alg=none token", "auth", 401)
async def _ws_none(w: World) -> int:
    return await ws_status(w, f"/ws?token={none_alg_token()}")


# Role escalation.
for _role, _ident, _method, _path, _expect in [
    ("patient", 1, "GET", "/api/realtime/stats", 403),
    ("dentist", 1, "GET", "/api/realtime/stats", 403),
    ("chatbot", 1, "GET", "/api/realtime/stats", 403),
    ("patient", 1, "GET", "/api/webhooks", 403),
    ("dentist", 1, "DELETE", "/api/webhooks/1", 403),
    ("patient", 1, "POST", "/api/webhooks/deliveries/1/redeliver", 403),
]:

    async def _role_case(
        w: World, r: str = _role, i: int | None = _ident, m: str = _method, p: str = _path
    ) -> int:
        return await status_of(w, m, p, headers=auth(r, i))

    who = f"{_role}-{_ident}" if _ident else _role
    case(f"{who} → {_method} {_path} (admin only)", "role escalation", _expect)(_role_case)


@case("patient → POST /api/webhooks (register an endpoint)", "role escalation", 403)
async def _patient_registers_webhook(w: World) -> int:
    body = {"url": "http://127.0.0.1:9/steal", "types": []}
    return await status_of(w, "POST", "/api/webhooks", json=body, headers=auth("patient", 1))


@case("patient 1 books for patient 2 via REST body patient_id", "role escalation", 403)
async def _book_for_other(w: World) -> int:
    body = {"dentist_id": 1, "treatment": "checkup", "patient_id": 2,
            "starts_at": weekday_at(14, weeks_ahead=3, isodow=2).isoformat()}  # fmt: skip
    return await status_of(w, "POST", APPTS, json=body, headers=auth("patient", 1))


@case("patient 1 lists patient 2's appointments (?patient_id=2)", "role escalation", 403)
async def _list_other(w: World) -> int:
    return await status_of(w, "GET", f"{APPTS}?patient_id=2", headers=auth("patient", 1))


@case("patient 1 reads patient 2's appointment by id", "role escalation", 404)
async def _read_other(w: World) -> int:
    return await status_of(w, "GET", f"{APPTS}/{w.ids['p2_marker']}", headers=auth("patient", 1))


@case("patient 1 cancels patient 2's appointment", "role escalation", 404)
async def _cancel_other(w: World) -> int:
    path = f"{APPTS}/{w.ids['p2_marker']}/cancel"
    return await status_of(w, "POST", path, headers=auth("patient", 1))


@case("patient 1 reschedules patient 2's appointment", "role escalation", 404)
async def _move_other(w: World) -> int:
    body = {"starts_at": weekday_at(15, weeks_ahead=3, isodow=2).isoformat()}
    path = f"{APPTS}/{w.ids['p2_marker']}/reschedule"
    return await status_of(w, "POST", path, json=body, headers=auth("patient", 1))


@case("patient marks own appointment 'completed' (clinic-only status)", "role escalation", 403)
async def _patient_completes(w: World) -> int:
    path = f"{APPTS}/{w.ids['p1_live']}/status"
    return await status_of(
        w, "PATCH", path, json={"status": "completed"}, headers=auth("patient", 1)
    )


@case("dentist 1 cancels dentist 2's appointment", "role escalation", 404)
async def _dentist_cancels_other(w: World) -> int:
    path = f"{APPTS}/{w.ids['p2_marker']}/cancel"
    return await status_of(w, "POST", path, headers=auth("dentist", 1))


CLOSED = (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING, WSMsgType.ERROR)
HOURS = {"hours": [{"isodow": 1, "start": "09:00", "end": "10:00"}]}


@case("dentist 1 edits dentist 2's availability (PUT)", "role escalation", 403)
async def _dentist_edits_other(w: World) -> int:
    return await status_of(
        w, "PUT", "/api/dentists/2/availability", json=HOURS, headers=auth("dentist", 1)
    )


@case("dentist 1 blocks time for dentist 2 (POST time-off)", "role escalation", 403)
async def _dentist_blocks_other(w: World) -> int:
    start = weekday_at(9, weeks_ahead=4, isodow=1)
    body = {"starts_at": start.isoformat(), "ends_at": start.replace(hour=10).isoformat()}
    return await status_of(
        w, "POST", "/api/dentists/2/time-off", json=body, headers=auth("dentist", 1)
    )


@case("patient edits a dentist's availability (PUT)", "role escalation", 403)
async def _patient_edits_hours(w: World) -> int:
    return await status_of(
        w, "PUT", "/api/dentists/1/availability", json=HOURS, headers=auth("patient", 1)
    )


# Cross-tenant event leaks.


async def events_until_marker(ws: Any, marker_appointment: int) -> list[dict[str, Any]]:
    """Events after the snapshot message up to (incl.) the marker appointment's creation."""
    out: list[dict[str, Any]] = []
    async with asyncio.timeout(20):
        while True:
            doc = await recv(ws)
            if doc.get("type") == "snapshot":
                continue
            out.append(doc)
            if doc["type"] == "appointment.created" and doc["data"]["id"] == marker_appointment:
                return out


def leaks(events: list[dict[str, Any]], *, patient: int) -> int:
    return sum(1 for e in events if e["patient_id"] == patient)


@case(
    "replay ?since=0 as patient 2: patient 1's create/cancel/DELETE events",
    "event leak",
    "0 leaked",
)
async def _replay_patient(w: World) -> str:
    ws = await w.client.ws_connect("/ws?since=0", headers=auth("patient", 2))
    got = await events_until_marker(ws, w.ids["p2_marker"])
    await ws.close()
    assert all(e["type"] == "availability.updated" for e in got[:-1])
    return f"{leaks(got, patient=1)} leaked"


@case("replay ?since=0 as dentist 2: dentist 1's events", "event leak", "0 leaked")
async def _replay_dentist(w: World) -> str:
    ws = await w.client.ws_connect("/ws?since=0", headers=auth("dentist", 2))
    got = await events_until_marker(ws, w.ids["p2_marker"])
    await ws.close()
    return f"{sum(e['dentist_id'] == 1 for e in got)} leaked"


@case(
    "live: patient 1 books, the row is DELETEd, patient 2 books; patient 2's socket",
    "event leak",
    "0 leaked",
    appointment=1,
    sync_event=3,
)
async def _live_delete(w: World) -> str:
    ws = await w.client.ws_connect("/ws", headers=auth("patient", 2))
    assert (await recv(ws))["type"] == "snapshot"

    def writes() -> int:
        mine = booking.book(
            w.engine, ADMIN, patient_id=1, dentist_id=1, treatment="checkup",
            starts_at=weekday_at(13, weeks_ahead=5, isodow=4),
        )  # fmt: skip
        with w.engine.begin() as conn:
            conn.execute(text("DELETE FROM appointment WHERE id = :id"), {"id": mine["id"]})
        other = booking.book(
            w.engine, ADMIN, patient_id=2, dentist_id=2, treatment="checkup",
            starts_at=weekday_at(13, weeks_ahead=5, isodow=4),
        )  # fmt: skip
        return int(other["id"])

    marker = await asyncio.to_thread(writes)
    got = await events_until_marker(ws, marker)
    await ws.close()
    return f"{leaks(got, patient=1)} leaked"


@case("WS ?since=abc (not an id)", "malformed input", 422)
async def _ws_bad_since(w: World) -> int:
    return await ws_status(w, "/ws?since=abc", auth("admin"))


# Injection: stored literally, never executed; pages never render data as HTML.


async def create_with_notes(w: World, notes: str, hour: int) -> tuple[int, Any]:
    body = {"dentist_id": 1, "treatment": "checkup", "notes": notes,
            "starts_at": weekday_at(hour, weeks_ahead=6, isodow=3).isoformat()}  # fmt: skip
    async with w.client.post(APPTS, json=body, headers=auth("patient", 1)) as resp:
        doc = await resp.json()
        if resp.status != 201:
            return resp.status, doc
    async with w.client.get(f"{APPTS}/{doc['id']}", headers=auth("patient", 1)) as resp:
        assert resp.content_type == "application/json"
        return 201, await resp.json()


@case("SQL-ish notes on a booking: stored literally", "injection", "201 literal",
      appointment=1, sync_event=1)  # fmt: skip
async def _sql_notes(w: World) -> str:
    status, doc = await create_with_notes(w, SQLISH, 10)
    assert db_state(w.engine)["appointment"] > 0  # the table is still there
    return f"{status} {'literal' if doc.get('notes') == SQLISH else repr(doc)}"


@case("HTML/JS notes on a booking: stored literally, served as JSON", "injection",
      "201 literal", appointment=1, sync_event=1)  # fmt: skip
async def _html_notes(w: World) -> str:
    status, doc = await create_with_notes(w, HTMLJS, 12)
    return f"{status} {'literal' if doc.get('notes') == HTMLJS else repr(doc)}"


@case("SQL-ish treatment name", "injection", 404)
async def _sql_treatment(w: World) -> int:
    body = {"dentist_id": 1, "treatment": "x'; DROP TABLE treatment; --",
            "starts_at": weekday_at(14, weeks_ahead=6, isodow=3).isoformat()}  # fmt: skip
    return await status_of(w, "POST", APPTS, json=body, headers=auth("patient", 1))


@case("SQL-ish query parameter dentist_id=1 OR 1=1", "injection", 422)
async def _sql_param(w: World) -> int:
    return await status_of(w, "GET", f"{APPTS}?dentist_id=1%20OR%201%3D1", headers=auth("admin"))


@case("chat: SQL + HTML message, forged sender/metadata in body", "injection",
      "200 literal, sender=patient-1")  # fmt: skip
async def _chat_literal(w: World) -> str:
    message = f"{SQLISH} {HTMLJS}"
    body = {"message": message, "sender": "patient-2", "metadata": {"patient_id": 2}}
    before = len(w.rasa_seen)
    status = await status_of(w, "POST", "/api/chat", json=body, headers=auth("patient", 1))
    sent = w.rasa_seen[before]
    literal = sent["message"] == message and sent["metadata"]["patient_id"] == 1
    return f"{status} {'literal' if literal else 'ALTERED'}, sender={sent['sender']}"


@case("static JS: no innerHTML/outerHTML/insertAdjacentHTML/document.write", "injection",
      "0 HTML sinks")  # fmt: skip
async def _no_html_sinks(w: World) -> str:
    sinks = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(")
    found = [
        f"{p.name}:{s}" for p in sorted(STATIC_JS.glob("*.js")) for s in sinks if s in p.read_text()
    ]
    assert list(STATIC_JS.glob("*.js")), "no page scripts found"
    return f"{len(found)} HTML sinks" + (f" {found}" if found else "")


@case("pages: CSP forbids inline script", "injection", "200 script-src 'self'")
async def _csp(w: World) -> str:
    async with w.client.get("/admin") as resp:
        csp = resp.headers.get("Content-Security-Policy", "")
        inline = "unsafe-inline" in csp or "script-src 'self'" not in csp
        return f"{resp.status} " + ("INLINE ALLOWED" if inline else "script-src 'self'")


# Bodies.
BIG = b'{"dentist_id": 1, "treatment": "checkup", "notes": "' + b"x" * 70_000 + b'"}'


@case("oversized body (70 KB) → POST /api/appointments", "body", 413)
async def _big_rest(w: World) -> int:
    headers = auth("patient", 1) | {"Content-Type": "application/json"}
    return await status_of(w, "POST", APPTS, data=BIG, headers=headers)


@case("oversized body (70 KB) → POST /api/chat", "body", 413)
async def _big_chat(w: World) -> int:
    headers = auth("patient", 1) | {"Content-Type": "application/json"}
    return await status_of(w, "POST", "/api/chat", data=BIG, headers=headers)


@case("oversized body (70 KB) → PUT availability (admin)", "body", 413)
async def _big_put(w: World) -> int:
    headers = auth("admin") | {"Content-Type": "application/json"}
    return await status_of(w, "PUT", "/api/dentists/1/availability", data=BIG, headers=headers)


for _label, _raw in [
    ("malformed JSON", b'{"dentist_id": 1,'),
    ("JSON array instead of object", b"[1, 2, 3]"),
    ("wrong types (dentist_id 'abc')", b'{"dentist_id": "abc", "treatment": "checkup"}'),
    ("garbage starts_at", b'{"dentist_id": 1, "treatment": "checkup", "starts_at": "soon"}'),
    ("invalid UTF-8", b'{"notes": "\xff\xfe"}'),
]:

    async def _body_case(w: World, raw: bytes = _raw) -> int:
        headers = auth("patient", 1) | {"Content-Type": "application/json"}
        return await status_of(w, "POST", APPTS, data=raw, headers=headers)

    case(f"{_label} → POST /api/appointments", "body", 422)(_body_case)


@case("malformed JSON → POST /api/chat", "body", 422)
async def _bad_chat(w: World) -> int:
    headers = auth("patient", 1) | {"Content-Type": "application/json"}
    return await status_of(w, "POST", "/api/chat", data=b"{nope", headers=headers)


# WebSocket floods.


async def ping_pong(ws: Any) -> bool:
    await ws.send_str('{"type":"ping"}')
    async with asyncio.timeout(20):
        while True:
            msg = await ws.receive()
            if msg.type != WSMsgType.TEXT:
                return False
            if json.loads(msg.data).get("type") == "pong":
                return True


@case("WS flood: 5,000 junk frames from one client; another client unaffected",
      "websocket flood", "other client served")  # fmt: skip
async def _ws_junk_flood(w: World) -> str:
    calm = await w.client.ws_connect("/ws", headers=auth("patient", 2))
    noisy = await w.client.ws_connect("/ws", headers=auth("patient", 1))
    for i in range(5000):
        await noisy.send_str(f"spam {i} " + "x" * 200)
    ok = await ping_pong(calm)
    health = await status_of(w, "GET", "/api/realtime/health")
    await noisy.close()
    await calm.close()
    return "other client served" if ok and health == 200 else f"pong={ok} health={health}"


@case("WS flood: 20,000 pings never reading the pongs; another client unaffected",
      "websocket flood", "other client served")  # fmt: skip
async def _ws_ping_flood(w: World) -> str:
    calm = await w.client.ws_connect("/ws", headers=auth("admin"))
    noisy = await w.client.ws_connect("/ws", headers=auth("patient", 1))
    for _ in range(20_000):
        await noisy.send_str('{"type":"ping"}')
    ok = await ping_pong(calm)
    await noisy.close()
    await calm.close()
    return "other client served" if ok else "calm client starved"


@case("WS: one 5 MB frame (limit 4 MB)", "websocket flood", "closed 1009")
async def _ws_huge_frame(w: World) -> str:
    ws = await w.client.ws_connect("/ws", headers=auth("patient", 1))
    with contextlib.suppress(ConnectionError):  # the server may reset while we still write
        await ws.send_str("x" * (5 * 1024 * 1024))
    async with asyncio.timeout(20):
        msg = await ws.receive()
        while msg.type not in CLOSED:
            msg = await ws.receive()
    await ws.close()
    return f"closed {msg.data}" if msg.type == WSMsgType.CLOSE else f"{msg.type.name}"


# --- the one test ------------------------------------------------------------------------------


@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
async def test_security_case(c: Case, world: World) -> None:
    before = await asyncio.to_thread(db_state, world.engine)
    try:
        observed: Any = await c.run(world)
    except Exception as exc:  # recorded in the table, then re-raised
        observed = f"error: {type(exc).__name__}: {exc}"[:120]
        raise_later: Exception | None = exc
    else:
        raise_later = None
    after = await asyncio.to_thread(db_state, world.engine)
    same = unchanged_except(before, after, dict(c.writes))
    ok = observed == c.expect and same and raise_later is None
    n = len(world.rows) + 1
    changes = ", ".join(f"+{v} {k}" for k, v in c.writes)
    world.rows.append(
        [str(n), c.category, c.name, str(c.expect), str(observed),
         ("yes" if not changes else f"yes (only {changes})") if same else "NO",
         "pass" if ok else "FAIL"]
    )  # fmt: skip
    if raise_later is not None:
        raise raise_later
    assert observed == c.expect
    assert same, (before, after)


async def test_matrix_has_at_least_30_cases() -> None:
    assert len(CASES) >= 30
