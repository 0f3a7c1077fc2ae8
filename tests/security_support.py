"""The security matrix's harness: the shared world, the case registry, token forgeries and the
"database unchanged" check (tests/test_security_matrix.py runs it; the cases live in
tests/security_cases_*.py).

"Unchanged" means: every table the catalogue lists (so a table added by a later migration is
covered without touching this file) has exactly the same rows, compared as a multiset of
per-row content hashes. A case may declare rows it is allowed to add; then the rows that
were there before must all still be there, unchanged, and exactly that many new ones appear.
"""

from __future__ import annotations

import base64
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Engine, text
from sync_support import SECRET, token

from chatbot.config import REPO_ROOT

RESULTS = REPO_ROOT / "results" / "security_matrix.md"
STATIC_JS = REPO_ROOT / "sync" / "static" / "js"
WRONG_SECRET = "an-attacker-guessed-secret-0123456789abcdef"
SQLISH = "x'); DROP TABLE appointment; --"
HTMLJS = '<script>alert(1)</script><img src=x onerror="alert(document.cookie)">'
APPTS = "/api/appointments"


@dataclass
class World:
    client: TestClient[Any, Any]
    engine: Engine
    rasa_seen: list[dict[str, Any]]
    db_url: str
    actions_url: str = ""  # the action server started from the Procfile
    actions_pid: int = 0
    ids: dict[str, int] = field(default_factory=dict)  # named appointments
    rows: list[list[str]] = field(default_factory=list)  # the results table


# --- tokens ------------------------------------------------------------------------------------


def _b64(obj: dict[str, Any]) -> str:
    raw = json.dumps(obj, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims(role: str = "patient", **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"sub": f"{role}-1", "role": role, "exp": int(time.time()) + 600}
    if role in ("patient", "chatbot"):
        base["patient_id"] = 1
    return {k: v for k, v in (base | extra).items() if v is not None}


def signed(**claim_values: Any) -> str:
    """A token with the right secret and these claims on top of a valid patient-1 set."""
    return jwt.encode(claims("patient") | claim_values, SECRET, algorithm="HS256")


def bearer(tok: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tok}"}


def none_alg_token() -> str:
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims('admin', sub='admin'))}."


def tampered_token() -> str:
    """A real patient token whose payload was edited to say admin (signature kept)."""
    head, _, sig = token("patient", 1).split(".")
    return f"{head}.{_b64(claims('admin', sub='patient-1'))}.{sig}"


# --- the database check ------------------------------------------------------------------------

State = dict[str, Counter[str]]


def tables(engine: Engine) -> list[str]:
    """Every table of the schema, from the catalogue."""
    with engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT quote_ident(c.relname) FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"
                " ORDER BY c.relname"
            )
        )
        return [str(r[0]) for r in found]


def db_state(engine: Engine) -> State:
    """table -> multiset of md5(row as text), for every table in the catalogue."""
    state: State = {}
    with engine.connect() as conn:
        for table in tables(engine):
            rows = conn.execute(text(f"SELECT md5(t::text) FROM {table} t"))
            state[table] = Counter(str(r[0]) for r in rows)
    return state


def unchanged_except(before: State, after: State, allowed: dict[str, int]) -> bool:
    """No row changed or vanished anywhere; new rows only where allowed, exactly that many."""
    for table in before.keys() | after.keys():
        old, new = before.get(table, Counter()), after.get(table, Counter())
        if old - new:  # a row was updated or deleted
            return False
        if (new - old).total() != allowed.get(table, 0):
            return False
    return True


def describe_change(before: State, after: State) -> dict[str, str]:
    out = {}
    for table in sorted(before.keys() | after.keys()):
        old, new = before.get(table, Counter()), after.get(table, Counter())
        gone, added = (old - new).total(), (new - old).total()
        if gone or added:
            out[table] = f"-{gone} +{added}"
    return out


# --- cases ---------------------------------------------------------------------------------------

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


def write_table(rows: list[list[str]]) -> None:
    head = ["#", "Category", "Case", "Expected", "Observed", "DB unchanged", "Result"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    passed = sum(1 for r in rows if r[-1] == "pass")
    lines.append("")
    lines.append(f"{passed}/{len(rows)} cases pass.")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
