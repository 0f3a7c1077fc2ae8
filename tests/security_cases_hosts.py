"""Security matrix cases: response headers, the demo sign-in's guard, the action server (the
Procfile's own command, started by the matrix's world) and a self-check of the matrix's
"database unchanged" comparison (registered on import)."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient, TestServer
from e2e.stack import listening_sockets
from security_support import APPTS, World, case, db_state, tables, unchanged_except
from sqlalchemy import text
from sync_support import SECRET, auth

from chatbot.config import Settings
from sync.app import create_app


@case("Server header: no software or version (API, error, page, static file)", "headers",
      "brightsmile")  # fmt: skip
async def _server_header(w: World) -> str:
    seen = set()
    for path in ("/api/realtime/health", "/api/nope", "/admin", "/static/js/auth.js", APPTS):
        async with w.client.get(path) as resp:
            seen.add(resp.headers.get("Server", "(none)"))
    return " ".join(sorted(seen))


@case("API answers are never cached (200, 401, 404, 422)", "headers", "no-store ×4")
async def _no_store(w: World) -> str:
    values = []
    for path, headers in (
        (APPTS, auth("patient", 1)),
        (APPTS, {}),
        (f"{APPTS}/999999", auth("admin")),
        (f"{APPTS}?dentist_id=x", auth("admin")),
    ):
        async with w.client.get(path, headers=headers) as resp:
            values.append(resp.headers.get("Cache-Control", "(none)"))
    return f"no-store ×{len(values)}" if set(values) == {"no-store"} else str(values)


@case("pages: CSP connect-src is the page's own origin only", "headers", "connect-src 'self'")
async def _csp_connect(w: World) -> str:
    async with w.client.get("/") as resp:
        csp = resp.headers.get("Content-Security-Policy", "")
    directives = {d.split()[0]: d.strip() for d in csp.split(";") if d.strip()}
    return directives.get("connect-src", "(no connect-src)")


@case("Settings: demo sign-in with APP_HOST=0.0.0.0 (and ::, a LAN address)", "demo sign-in",
      "refused ×3")  # fmt: skip
async def _dev_mode_public(w: World) -> str:
    refused = 0
    for host in ("0.0.0.0", "::", "192.168.1.20"):
        try:
            Settings(jwt_secret=SECRET, dev_mode=True, app_host=host)
        except ValueError:
            refused += 1
    return f"refused ×{refused}"


@case("default settings (no APP_DEV_MODE): POST /api/dev/login", "demo sign-in", 404)
async def _dev_login_off_by_default(w: World) -> int:
    app = create_app(Settings(jwt_secret=SECRET), engine=w.engine, db_url=w.db_url)
    client: TestClient[Any, Any] = TestClient(TestServer(app))
    await client.start_server()
    try:
        async with client.post("/api/dev/login", json={"sub": "admin"}) as resp:
            return resp.status
    finally:
        await client.close()


# The action server, as `make run` starts it.


@case("action server: listening sockets", "action server", "loopback only")
async def _actions_sockets(w: World) -> str:
    found = listening_sockets(w.actions_pid)
    public = sorted(a for a, _ in found if not ipaddress.ip_address(a).is_loopback)
    return "loopback only" if found and not public else f"{sorted(found)}"


async def _actions_call(w: World, method: str, body: bytes | None) -> tuple[int, Any, str]:
    headers = {"Origin": "http://evil.example", "Content-Type": "application/json"}
    if method == "OPTIONS":
        headers["Access-Control-Request-Method"] = "POST"
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, f"{w.actions_url}/webhook", data=body, headers=headers) as resp,
    ):
        raw = await resp.read()
        cors = ", ".join(k for k in resp.headers if k.lower().startswith("access-control"))
        return resp.status, raw, cors


@case("action server: CORS preflight and POST from another origin", "action server",
      "no Access-Control-* headers")  # fmt: skip
async def _actions_cors(w: World) -> str:
    found = set()
    for method, body in (("OPTIONS", None), ("POST", b"{}")):
        _, _, cors = await _actions_call(w, method, body)
        found.update(filter(None, cors.split(", ")))
    return "no Access-Control-* headers" if not found else f"{sorted(found)}"


TURN_TOKEN_LIKE = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwYXRpZW50LTIifQ.SECRET-SIGNATURE"


@case("action server: unhandled error → generic 500, request not echoed", "action server",
      "500 generic")  # fmt: skip
async def _actions_crash(w: World) -> str:
    call = {"next_action": "action_list_appointments", "tracker": TURN_TOKEN_LIKE, "domain": {}}
    status, raw, _ = await _actions_call(w, "POST", json.dumps(call).encode())
    echoed = [s for s in ("SECRET", "tracker", "Traceback", "string indices") if s in raw.decode()]
    return f"{status} generic" if not echoed and set(json.loads(raw)) == {"error"} else str(raw)


@case("action server: malformed JSON → generic 400", "action server", "400 generic")
async def _actions_bad_json(w: World) -> str:
    status, raw, _ = await _actions_call(w, "POST", b'{"next_action": SECRET')
    return f"{status} generic" if b"SECRET" not in raw and b"Expecting" not in raw else str(raw)


# The matrix checks itself: the comparison must see what the old one (counts) could not.


@case("DB check: tables come from the catalogue (clinic, webhook_attempt, ... included)",
      "matrix self-check", "none missing")  # fmt: skip
async def _catalogue(w: World) -> str:
    found = set(tables(w.engine))
    must = {"clinic", "webhook_attempt", "schema_migration", "sync_event", "app_user"}
    return f"missing {sorted(must - found)}" if must - found else "none missing"


@case("DB check: an UPDATE without outbox trigger (clinic phone) is seen, then undone",
      "matrix self-check", "seen")  # fmt: skip
async def _sees_silent_update(w: World) -> str:
    before = db_state(w.engine)
    with w.engine.begin() as conn:
        old = conn.execute(text("SELECT phone FROM clinic")).scalar_one()
        conn.execute(text("UPDATE clinic SET phone = phone || '0'"))
    changed = db_state(w.engine)
    with w.engine.begin() as conn:
        conn.execute(text("UPDATE clinic SET phone = :p"), {"p": old})
    counts_equal = all(sum(changed[t].values()) == sum(before[t].values()) for t in before)
    seen = not unchanged_except(before, changed, {}) and counts_equal
    return "seen" if seen and unchanged_except(before, db_state(w.engine), {}) else "MISSED"
