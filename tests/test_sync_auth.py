"""Auth matrix on every endpoint and the socket; bad bodies rejected with the DB unchanged."""

from __future__ import annotations

import time
from typing import Any

import jwt
import psycopg
import pytest
from sqlalchemy import Engine
from sync_support import SECRET, auth, future_weekday, settings, token

from chatbot.db import libpq_url
from sync.app import create_app

# (method, path, json body) for every endpoint that needs a token
ENDPOINTS: list[tuple[str, str, Any]] = [
    ("GET", "/api/realtime/status", None),
    ("GET", "/api/realtime/stats", None),
    ("GET", "/api/me", None),
    ("GET", "/api/clinic", None),
    ("GET", "/api/dentists", None),
    ("GET", "/api/treatments", None),
    ("GET", "/api/slots?treatment=checkup", None),
    ("GET", "/api/appointments", None),
    ("POST", "/api/appointments", {"dentist_id": 1, "treatment": "checkup", "starts_at": "x"}),
    ("GET", "/api/appointments/1", None),
    ("POST", "/api/appointments/1/cancel", {}),
    ("POST", "/api/appointments/1/reschedule", {"starts_at": "2030-01-01T10:00"}),
    ("PATCH", "/api/appointments/1/status", {"status": "confirmed"}),
    ("POST", "/api/appointments/1/status", {"status": "confirmed"}),
    ("PUT", "/api/dentists/1/availability", {"hours": []}),
    ("POST", "/api/dentists/1/time-off", {"starts_at": "x", "ends_at": "y"}),
    ("GET", "/api/dentists/1/time-off", None),
    ("DELETE", "/api/dentists/1/time-off/1", None),
    ("GET", "/api/patients?q=a", None),
    ("GET", "/api/statuses", None),
    ("POST", "/api/appointments/1/confirm", None),
    ("POST", "/api/waitlist", {"treatment": "checkup", "from": "x", "to": "y"}),
    ("GET", "/api/waitlist", None),
    ("DELETE", "/api/waitlist/1", None),
    ("POST", "/api/waitlist/1/accept", None),
    ("POST", "/api/waitlist/1/decline", None),
    ("POST", "/api/webhooks", {"url": "http://127.0.0.1:9/x"}),
    ("GET", "/api/webhooks", None),
    ("DELETE", "/api/webhooks/1", None),
    ("GET", "/api/webhooks/1/deliveries", None),
    ("POST", "/api/webhooks/deliveries/1/redeliver", None),
    ("GET", "/ws", None),
]
ADMIN_ONLY = [
    e for e in ENDPOINTS if "/webhooks" in e[1] or e[1].endswith("/stats") or "/patients" in e[1]
]
TABLES = (
    "appointment",
    "sync_event",
    "availability_rule",
    "availability_exception",
    "webhook_endpoint",
    "waitlist_entry",
    "waitlist_offer",
)


def _claims(**extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": "admin", "role": "admin", "iat": now, "exp": now + 600} | extra


BAD_TOKENS = {
    "missing": None,
    "garbage": "not.a.jwt",
    "expired": token("admin", ttl_s=-30),
    "wrong signature": jwt.encode(
        _claims(), "another-secret-0123456789abcdef-0123456789", algorithm="HS256"
    ),
    "alg none": jwt.encode(_claims(), None, algorithm="none"),
    "unknown role": jwt.encode(_claims(role="root"), SECRET, algorithm="HS256"),
    "patient without id": jwt.encode(_claims(role="patient"), SECRET, algorithm="HS256"),
}


@pytest.fixture
async def client(seeded_engine: Engine, db_url: str, aiohttp_client: Any) -> Any:
    return await aiohttp_client(create_app(settings(), engine=seeded_engine, db_url=db_url))


def counts(db_url: str) -> dict[str, int]:
    with psycopg.connect(libpq_url(db_url)) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


async def _call(client: Any, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    return await client.request(method, path, json=body, headers=headers)


async def test_bad_tokens_get_401_json_everywhere(client: Any, db_url: str) -> None:
    before = counts(db_url)
    for name, tok in BAD_TOKENS.items():
        headers = {"Authorization": f"Bearer {tok}"} if tok else {}
        for method, path, body in ENDPOINTS:
            resp = await _call(client, method, path, body, headers)
            assert resp.status == 401, (name, method, path, resp.status)
            doc = await resp.json()
            assert doc["error"] == "unauthorized" and doc["message"], (name, path)
    assert counts(db_url) == before
    health = await client.get("/api/realtime/health")
    assert health.status == 200


async def test_wrong_role_gets_403(client: Any, db_url: str) -> None:
    before = counts(db_url)
    for role, ident in (("patient", 1), ("dentist", 1), ("chatbot", 1)):
        for method, path, body in ADMIN_ONLY:
            resp = await _call(client, method, path, body, auth(role, ident))
            assert resp.status == 403, (role, method, path)
            assert (await resp.json())["error"] == "forbidden"
    hours = {"hours": [{"isodow": 1, "start": "09:00", "end": "12:00"}]}
    for role, ident in (("patient", 1), ("dentist", 2), ("chatbot", 1)):
        resp = await client.put(
            "/api/dentists/1/availability", json=hours, headers=auth(role, ident)
        )
        assert resp.status == 403, role
    assert counts(db_url) == before


async def test_oversized_and_malformed_bodies_change_nothing(client: Any, db_url: str) -> None:
    before = counts(db_url)
    h = auth("patient", 1) | {"Content-Type": "application/json"}
    when = future_weekday(3, 10).isoformat()
    good = f'{{"dentist_id": 1, "treatment": "checkup", "starts_at": "{when}"'
    huge = good + ', "notes": "' + "x" * (70 * 1024) + '"}'
    resp = await client.post("/api/appointments", data=huge, headers=h)
    assert resp.status == 413 and (await resp.json())["error"] == "payload_too_large"
    malformed = [good, "[1, 2]", "null", '{"dentist_id": "one"}', b"\xff\xfe"]
    invalid = [good + ', "starts_at": "soon"}', good + ', "dentist_id": 99}']
    for raw in malformed + invalid:
        resp = await client.post("/api/appointments", data=raw, headers=h)
        assert resp.status in (404, 422), raw
        doc = await resp.json()
        assert set(doc) == {"error", "message"}
    admin = auth("admin") | {"Content-Type": "application/json"}
    for path, raw in (
        ("/api/webhooks", '{"url": "ftp://x"}'),
        ("/api/webhooks", '{"url": "http://127.0.0.1/x", "types": ["nope"]}'),
        ("/api/dentists/1/availability", '{"hours": [{"isodow": 9, "start": "9", "end": "x"}]}'),
    ):
        method = "PUT" if "availability" in path else "POST"
        resp = await client.request(method, path, data=raw, headers=admin)
        assert resp.status == 422, path
    assert counts(db_url) == before


async def test_conflicts_and_missing_rows(client: Any) -> None:
    body = {"dentist_id": 1, "treatment": "checkup", "starts_at": future_weekday(3, 11).isoformat()}
    first = await client.post("/api/appointments", json=body, headers=auth("patient", 1))
    assert first.status == 201
    again = await client.post("/api/appointments", json=body, headers=auth("patient", 2))
    assert again.status == 409 and (await again.json())["error"] == "slot_taken"
    late = body | {"starts_at": future_weekday(3, 22).isoformat()}
    resp = await client.post("/api/appointments", json=late, headers=auth("patient", 2))
    assert resp.status == 409 and (await resp.json())["error"] == "outside_availability"
    doc = await first.json()
    other = await client.get(f"/api/appointments/{doc['id']}", headers=auth("patient", 2))
    assert other.status == 404  # someone else's appointment does not exist for you
    mine = await client.get("/api/appointments", headers=auth("patient", 2))
    assert await mine.json() == []
    resp = await client.get("/api/nope", headers=auth("admin"))
    assert resp.status == 404 and (await resp.json())["error"] == "not_found"


async def test_dev_login_me_and_status(
    seeded_engine: Engine, db_url: str, aiohttp_client: Any
) -> None:
    client = await aiohttp_client(
        create_app(settings(dev_mode=True), engine=seeded_engine, db_url=db_url)
    )
    resp = await client.post("/api/dev/login", json={"sub": "patient-1"})
    assert resp.status == 200
    login = await resp.json()
    assert (login["role"], login["patient_id"]) == ("patient", 1)
    me = await client.get("/api/me", headers={"Authorization": f"Bearer {login['token']}"})
    assert (await me.json()) | {"display_name": "?"} == {
        "sub": "patient-1",
        "role": "patient",
        "patient_id": 1,
        "dentist_id": None,
        "display_name": "?",
    }
    status = await client.get("/api/realtime/status", headers=auth("patient", 1))
    assert (await status.json())["listener"]["connected"] is True
    assert (await client.post("/api/dev/login", json={"sub": "nobody"})).status == 404
    prod = await aiohttp_client(
        create_app(settings(dev_mode=False), engine=seeded_engine, db_url=db_url)
    )
    assert (await prod.post("/api/dev/login", json={"sub": "admin"})).status == 404


async def test_rest_writes_are_rate_limited_per_user(
    seeded_engine: Engine, db_url: str, aiohttp_client: Any
) -> None:
    """Every write attempt counts (refused ones too); reads and other users are unaffected."""
    app = create_app(
        settings(write_rate_limit=5, write_rate_window_s=60), engine=seeded_engine, db_url=db_url
    )
    client = await aiohttp_client(app)
    before = counts(db_url)
    for _ in range(5):
        resp = await client.post("/api/appointments/999999/cancel", headers=auth("patient", 1))
        assert resp.status == 404
    resp = await client.post("/api/appointments/999999/cancel", headers=auth("patient", 1))
    assert resp.status == 429 and (await resp.json())["error"] == "rate_limited"
    assert 1 <= int(resp.headers["Retry-After"]) <= 60
    body = {"dentist_id": 1, "treatment": "checkup", "starts_at": future_weekday(3, 9).isoformat()}
    resp = await client.post("/api/appointments", json=body, headers=auth("patient", 1))
    assert resp.status == 429  # a valid booking too: the limit is on the user, not the request
    assert (await client.get("/api/appointments", headers=auth("patient", 1))).status == 200
    other = await client.post("/api/appointments/999999/cancel", headers=auth("patient", 2))
    assert other.status == 404
    assert counts(db_url) == before
