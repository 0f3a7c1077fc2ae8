"""Security matrix cases: injection, bodies, strict input (registered on import)."""

from __future__ import annotations

import json
from typing import Any

from booking_support import weekday_at
from security_support import (
    APPTS,
    HTMLJS,
    SQLISH,
    STATIC_JS,
    World,
    case,
    db_state,
    status_of,
    ws_status,
)
from sync_support import auth


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
      appointment=1, appointment_reminder=1, sync_event=1)  # fmt: skip
async def _sql_notes(w: World) -> str:
    status, doc = await create_with_notes(w, SQLISH, 10)
    assert db_state(w.engine)["appointment"].total() > 0  # the table is still there
    return f"{status} {'literal' if doc.get('notes') == SQLISH else repr(doc)}"


@case("HTML/JS notes on a booking: stored literally, served as JSON", "injection",
      "201 literal", appointment=1, appointment_reminder=1, sync_event=1)  # fmt: skip
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


# Strict input: ids are ASCII digits only ('²'.isdigit() is True; int('١٢') == 12).
JSON = {"Content-Type": "application/json"}
for _who, _method, _path in [
    ("admin", "GET", f"{APPTS}/²"),
    ("admin", "GET", f"{APPTS}/١٢"),
    ("admin", "GET", f"{APPTS}/１２"),
    ("patient", "POST", f"{APPTS}/²/cancel"),
    ("admin", "GET", f"{APPTS}?dentist_id=²"),
    ("patient", "GET", "/api/slots?dentist_id=１２"),
    ("admin", "DELETE", "/api/webhooks/١٢"),
    ("admin", "PUT", "/api/dentists/²/availability"),
]:

    async def _id_case(w: World, who: str = _who, m: str = _method, p: str = _path) -> int:
        headers = auth(who, 1 if who == "patient" else None)
        body = {"hours": []} if m == "PUT" else None
        return await status_of(w, m, p, json=body, headers=headers)

    case(f"non-ASCII digits in an id: {_method} {_path}", "strict input", 422)(_id_case)


for _since in ("²", "١٢"):

    async def _since_case(w: World, since: str = _since) -> int:
        return await ws_status(w, f"/ws?since={since}", auth("admin"))

    case(f"non-ASCII digits: WS /ws?since={_since}", "strict input", 422)(_since_case)


# Dates near year 1 / 9999 (time-zone arithmetic overflows there): a clear 422, never a 500.
for _label, _path in [
    ("slots from=0001-01-01", "/api/slots?from=0001-01-01"),
    ("slots to=9999-12-31", "/api/slots?to=9999-12-31"),
    ("appointments from=0001-01-01T00:00+14:00", f"{APPTS}?from=0001-01-01T00:00:00%2B14:00"),
    ("appointments to=9999-12-31", f"{APPTS}?to=9999-12-31"),
]:

    async def _date_query(w: World, p: str = _path) -> int:
        return await status_of(w, "GET", p, headers=auth("admin"))

    case(f"date out of range: GET {_label}", "strict input", 422)(_date_query)


def _booking(hour: int, **fields: Any) -> dict[str, Any]:
    """A body that would book a free slot of dentist 1 (7 weeks out, Tuesday) if it were let
    through; each case changes one field to something loose."""
    start = weekday_at(hour, weeks_ahead=7, isodow=2)
    return {"dentist_id": 1, "treatment": "checkup", "starts_at": start.isoformat()} | fields


for _label, _body in [
    ("starts_at 0001-01-01T00:00+14:00", _booking(9, starts_at="0001-01-01T00:00:00+14:00")),
    ("starts_at 9999-12-31T23:59-23:59", _booking(9, starts_at="9999-12-31T23:59:59-23:59")),
    ("starts_at as a Unix time (int)",
     _booking(10, starts_at=int(weekday_at(10, weeks_ahead=7, isodow=2).timestamp()))),
    ("dentist_id true", _booking(11, dentist_id=True)),
    ('dentist_id "1" (a string)', _booking(12, dentist_id="1")),
    ("dentist_id 1.0 (a float)", _booking(13, dentist_id=1.0)),
    ('patient_id "1" (a string)', _booking(14, patient_id="1")),
    ('hold "yes" (a string)', _booking(15, hold="yes")),
]:  # fmt: skip

    async def _strict_body(w: World, body: dict[str, Any] = _body) -> int:
        return await status_of(w, "POST", APPTS, json=body, headers=auth("patient", 1))

    case(f"loose body → POST {APPTS}: {_label}", "strict input", 422)(_strict_body)


@case('loose body → PUT availability: isodow "1", valid_to 9999-12-31', "strict input", 422)
async def _strict_hours(w: World) -> int:
    bodies = [
        {"hours": [{"isodow": "1", "start": "09:00", "end": "12:00"}]},
        {"hours": [], "valid_to": "9999-12-31"},
    ]
    statuses = {
        await status_of(w, "PUT", "/api/dentists/1/availability", json=b, headers=auth("admin"))
        for b in bodies
    }
    return statuses.pop() if len(statuses) == 1 else -1


@case("time off in the year 9999 → POST time-off", "strict input", 422)
async def _far_time_off(w: World) -> int:
    body = {"starts_at": "9999-12-31T10:00:00+00:00", "ends_at": "9999-12-31T11:00:00+00:00"}
    return await status_of(w, "POST", "/api/dentists/1/time-off", json=body, headers=auth("admin"))


@case("reschedule starts_at as a Unix time (int)", "strict input", 422)
async def _strict_reschedule(w: World) -> int:
    when = int(weekday_at(16, weeks_ahead=7, isodow=2).timestamp())
    path = f"{APPTS}/{w.ids['p1_live']}/reschedule"
    return await status_of(w, "POST", path, json={"starts_at": when}, headers=auth("patient", 1))


# JSON bodies must say so; anything else is refused before it is read.
for _label, _method, _path, _who, _ctype, _raw in [
    ("text/plain booking", "POST", APPTS, "patient", "text/plain", json.dumps(_booking(16))),
    ("no Content-Type booking", "POST", APPTS, "patient", None, json.dumps(_booking(17))),
    ("text/plain hours", "PUT", "/api/dentists/1/availability", "admin", "text/plain",
     '{"hours": []}'),
    ("text/plain chat", "POST", "/api/chat", "patient", "text/plain", '{"message": "hi"}'),
    ("text/plain demo sign-in", "POST", "/api/dev/login", None, "text/plain", '{"sub": "admin"}'),
    ("form-encoded webhook", "POST", "/api/webhooks", "admin",
     "application/x-www-form-urlencoded", '{"url": "http://127.0.0.1:9/x"}'),
]:  # fmt: skip

    async def _media_case(
        w: World, m: str = _method, p: str = _path, who: str | None = _who,
        ctype: str | None = _ctype, raw: str = _raw,
    ) -> int:  # fmt: skip
        headers = auth(who, 1 if who == "patient" else None) if who else {}
        if ctype:
            headers["Content-Type"] = ctype
        return await status_of(w, m, p, data=raw.encode(), headers=headers)

    case(f"{_label} → {_method} {_path}", "media type", 415)(_media_case)


# Nesting: '[' * 30000 made json.loads raise RecursionError (500) on every JSON endpoint.
DEEP = b"[" * 30000
for _method, _path, _who in [
    ("POST", APPTS, "patient"),
    ("POST", "/api/chat", "patient"),
    ("POST", "/api/dev/login", None),
    ("PUT", "/api/dentists/1/availability", "admin"),
    ("POST", "/api/dentists/1/time-off", "admin"),
    ("POST", "/api/webhooks", "admin"),
    ("POST", APPTS + "/{p1_live}/reschedule", "patient"),
    ("POST", APPTS + "/{p1_live}/status", "patient"),
    ("POST", APPTS + "/{p1_live}/cancel", "patient"),
]:

    async def _deep_case(w: World, m: str = _method, p: str = _path, who: Any = _who) -> int:
        headers = (auth(who, 1 if who == "patient" else None) if who else {}) | JSON
        return await status_of(w, m, p.format(**w.ids), data=DEEP, headers=headers)

    case(f"'[' * 30000 → {_method} {_path}", "nesting", 400)(_deep_case)


@case("100-deep array inside a valid booking's notes", "nesting", 400)
async def _deep_field(w: World) -> int:
    raw = (
        b'{"dentist_id": 1, "treatment": "checkup", "starts_at": "'
        + weekday_at(9, weeks_ahead=7, isodow=4).isoformat().encode()
        + b'", "notes": '
        + b"[" * 100
        + b"]" * 100
        + b"}"
    )
    return await status_of(w, "POST", APPTS, data=raw, headers=auth("patient", 1) | JSON)
