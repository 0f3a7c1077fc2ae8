"""Security matrix: every case states the expected outcome, observes the real one against a
running `create_app` (real Postgres, real listener, a fake Rasa REST channel) and the real
action server (the Procfile's command), and proves the database did not change: every table
the catalogue lists, row by row (content hashes), except for the exact rows a case is allowed
to add. The table of results goes to `results/security_matrix.md` (summarised in
docs/reliability.md). Cases: tests/security_cases_*.py; harness: tests/security_support.py.

One app and one database serve the whole module (cases are independent reads or rejected
writes, run in the order listed), so ~130 cases take well under a minute.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import security_cases_auth
import security_cases_events
import security_cases_front_desk
import security_cases_hosts
import security_cases_input
import security_cases_limits
from aiohttp.test_utils import TestClient, TestServer
from booking_support import ADMIN, weekday_at
from db_support import SEED_TODAY, create_database, drop_database
from e2e.stack import free_port, procfile, spawn, wait_ready
from security_support import (
    CASES,
    Case,
    World,
    db_state,
    describe_change,
    fake_rasa,
    unchanged_except,
    write_table,
)
from sqlalchemy import Engine, text
from sync_support import SECRET, settings

from chatbot import db
from chatbot.seed import seed_demo
from chatbot.services import booking
from sync.app import create_app

CASE_MODULES = (
    security_cases_auth,
    security_cases_input,
    security_cases_events,
    security_cases_limits,
    security_cases_front_desk,
    security_cases_hosts,
)  # cases register on import, so they run in import order (auth, events, hosts, ...)
pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
]


def seed_world(engine: Engine) -> dict[str, int]:
    """Patient 1's appointments (one live, one cancelled, one hard-DELETEd) with dentist 1, then
    patient 2's with dentist 2 last (the marker every socket of patient 2 / dentist 2 sees).
    Patients 3 and 4 are for the limit cases only."""
    with engine.begin() as conn:
        seed_demo(conn, SEED_TODAY)
        conn.execute(text("INSERT INTO patient (id, name) VALUES (3, 'Cara'), (4, 'Dev')"))

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


def start_action_server(url: str, workdir: Path) -> tuple[Any, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("ACTIONS_HOST",)} | {
        "DATABASE_URL": url,
        "APP_JWT_SECRET": SECRET,
        "ACTION_PORT": str(port),
        "APP_DATA_DIR": str(workdir),
    }
    log = workdir / "actions.log"
    proc = spawn(procfile()["actions"], env, log)
    wait_ready(f"http://127.0.0.1:{port}/health", proc, log, 90)
    return proc, f"http://127.0.0.1:{port}"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(
    pg_root_url: str, template_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    url = create_database(pg_root_url, template_url)
    engine = db.make_engine(url, pool_size=5, max_overflow=20)
    ids = seed_world(engine)
    seen: list[dict[str, Any]] = []
    rasa = await fake_rasa(seen)
    # Generous write limit here (many cases write as patient 1); the rate-limit case starts
    # an app of its own with the defaults.
    app_settings = settings(
        rasa_url=str(rasa.make_url("")).rstrip("/"), dev_mode=True, write_rate_limit=100_000
    )
    app = create_app(app_settings, engine=engine, db_url=url)
    client: TestClient[Any, Any] = TestClient(TestServer(app))
    await client.start_server()
    actions, actions_url = await asyncio.to_thread(
        start_action_server, url, tmp_path_factory.mktemp("actions")
    )
    w = World(client, engine, seen, url, actions_url, actions.pid, ids=ids)
    yield w
    os.killpg(actions.pid, 15)
    actions.wait(timeout=20)
    await client.close()
    await rasa.close()
    engine.dispose()
    drop_database(pg_root_url, url)
    write_table(w.rows)


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
    assert same, describe_change(before, after)


async def test_matrix_has_at_least_80_cases() -> None:
    assert len(CASES) >= 80
    assert len({c.name for c in CASES}) == len(CASES)  # names are the test ids
