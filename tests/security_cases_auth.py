"""Security matrix cases: tokens, claims, audiences and roles (registered on import)."""

from __future__ import annotations

import json
from collections.abc import Callable

import jwt
from booking_support import weekday_at
from security_support import (
    APPTS,
    WRONG_SECRET,
    World,
    bearer,
    case,
    claims,
    none_alg_token,
    signed,
    status_of,
    tampered_token,
    ws_status,
)
from sync_support import SECRET, auth, token

from chatbot.auth import Principal, issue_turn_token

# JWT defects, all on GET /api/appointments (any valid token would get 200 there).
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
    # Claims are type-exact: JSON that merely looks like the right value is refused.
    ('patient_id "2" (a string)', lambda: bearer(signed(patient_id="2"))),
    ("patient_id 2.0 (a float)", lambda: bearer(signed(patient_id=2.0))),
    ("patient_id true (a boolean)", lambda: bearer(signed(patient_id=True))),
    ("patient_id 0", lambda: bearer(signed(patient_id=0))),
    ('exp "9999999999" (a string)', lambda: bearer(signed(exp="9999999999"))),
    ("sub 1 (a number)", lambda: bearer(signed(sub=1))),
    ('role ["admin"] (a list)', lambda: bearer(signed(role=["admin"]))),
    ("chatbot role without patient_id",
     lambda: bearer(jwt.encode(claims("chatbot", patient_id=None), SECRET, "HS256"))),
    ("turn token (aud=actions, what the action server gets)",
     lambda: bearer(issue_turn_token(SECRET, Principal(sub="admin", role="admin")))),
    ("any audience (aud=web)", lambda: bearer(signed(aud="web"))),
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


async def turn_token_of_a_chat(w: World) -> str:
    """The token the gateway forwarded to Rasa for one real chat turn of admin."""
    before = len(w.rasa_seen)
    await status_of(w, "POST", "/api/chat", json={"message": "hi"}, headers=auth("admin"))
    return str(w.rasa_seen[before]["metadata"]["token"])


@case("chat turn token (stored by Rasa, seen by actions) → GET /api/appointments", "auth", 401)
async def _turn_token_rest(w: World) -> int:
    return await status_of(w, "GET", APPTS, headers=bearer(await turn_token_of_a_chat(w)))


@case("chat turn token → WS /ws?token=", "auth", 401)
async def _turn_token_ws(w: World) -> int:
    return await ws_status(w, f"/ws?token={await turn_token_of_a_chat(w)}")


@case("401 bodies: one generic text, no JWT library message", "auth", "1 text, no details")
async def _generic_401(w: World) -> str:
    texts = set()
    for headers in (
        bearer("abc.def.ghi"),
        bearer(jwt.encode(claims(), WRONG_SECRET, algorithm="HS256")),
        bearer(token("patient", 1, ttl_s=-30)),
        bearer(signed(aud="web")),
        {},
    ):
        async with w.client.get(APPTS, headers=headers) as resp:
            texts.add(json.dumps(await resp.json()))
    details = ("signature", "segment", "decod", "has expired", "audience", "padding")
    leaked = [d for d in details if d in " ".join(texts).lower()]
    return f"{len(texts)} text{'s' if len(texts) > 1 else ''}, " + (
        f"details {leaked}" if leaked else "no details"
    )


# Role escalation.
for _role, _ident, _method, _path, _expect in [
    ("patient", 1, "GET", "/api/realtime/stats", 403),
    ("dentist", 1, "GET", "/api/realtime/stats", 403),
    ("chatbot", 1, "GET", "/api/realtime/stats", 403),
    ("patient", 1, "GET", "/api/webhooks", 403),
    ("dentist", 1, "DELETE", "/api/webhooks/1", 403),
    ("patient", 1, "POST", "/api/webhooks/deliveries/1/redeliver", 403),
    ("chatbot", 1, "GET", "/api/webhooks", 403),
    ("patient", 1, "GET", "/metrics", 403),
    ("dentist", 1, "GET", "/metrics", 403),
    ("chatbot", 1, "GET", "/metrics", 403),
]:

    async def _role_case(
        w: World, r: str = _role, i: int | None = _ident, m: str = _method, p: str = _path
    ) -> int:
        return await status_of(w, m, p, headers=auth(r, i))

    who = f"{_role}-{_ident}" if _ident else _role
    case(f"{who} → {_method} {_path} (admin only)", "role escalation", _expect)(_role_case)


# Calendar feed links: everyone gets their own only (the bot none at all).
for _role, _ident, _method, _path in [
    ("patient", 1, "GET", "/api/calendar/link?kind=dentist&id=1"),
    ("patient", 1, "POST", "/api/calendar/link/rotate?kind=patient&id=2"),
    ("dentist", 1, "DELETE", "/api/calendar/link?kind=dentist&id=2"),
    ("chatbot", 1, "GET", "/api/calendar/link"),
]:

    async def _feed_case(
        w: World, r: str = _role, i: int | None = _ident, m: str = _method, p: str = _path
    ) -> int:
        return await status_of(w, m, p, headers=auth(r, i))

    case(f"{_role}-{_ident} → {_method} {_path} (own feed only)", "role escalation", 403)(
        _feed_case
    )


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


# The `chatbot` service role acts for the one patient in its claims, nothing more.


@case("chatbot (for patient 1) lists appointments: only patient 1's", "chatbot role",
      "only patient 1")  # fmt: skip
async def _chatbot_lists(w: World) -> str:
    async with w.client.get(f"{APPTS}?include_cancelled=1", headers=auth("chatbot", 1)) as resp:
        docs = await resp.json()
    others = sorted({d["patient_id"] for d in docs} - {1})
    return "only patient 1" if docs and not others else f"{len(docs)} rows, others {others}"


@case("chatbot (for patient 1) reads patient 2's appointment", "chatbot role", 404)
async def _chatbot_reads_other(w: World) -> int:
    return await status_of(w, "GET", f"{APPTS}/{w.ids['p2_marker']}", headers=auth("chatbot", 1))


@case("chatbot (for patient 1) books for patient 2", "chatbot role", 403)
async def _chatbot_books_other(w: World) -> int:
    body = {"dentist_id": 1, "treatment": "checkup", "patient_id": 2,
            "starts_at": weekday_at(15, weeks_ahead=3, isodow=4).isoformat()}  # fmt: skip
    return await status_of(w, "POST", APPTS, json=body, headers=auth("chatbot", 1))


@case("chatbot (for patient 1) cancels patient 2's appointment", "chatbot role", 404)
async def _chatbot_cancels_other(w: World) -> int:
    path = f"{APPTS}/{w.ids['p2_marker']}/cancel"
    return await status_of(w, "POST", path, headers=auth("chatbot", 1))


@case("chatbot (for patient 1) lists ?patient_id=2", "chatbot role", 403)
async def _chatbot_filters_other(w: World) -> int:
    return await status_of(w, "GET", f"{APPTS}?patient_id=2", headers=auth("chatbot", 1))
