"""Shared fixtures: one real PostgreSQL per test session, a fresh database per test.

`DATABASE_URL` set → databases are created on that server; unset → embedded pgserver in a
temp dir. A migrated template database makes a fresh DB per test cheap (CREATE ... TEMPLATE).
"""

from __future__ import annotations

import atexit
import datetime as dt
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine

from chatbot import db
from chatbot.seed import seed_demo

TEMPLATE = "app_template"
# A fixed "today" for the demo seed: weekday rules start here (a Monday).
SEED_TODAY = dt.date(2026, 11, 23)


def _with_db(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    root = base.rsplit("/", 1)[0]
    return f"{root}/{name}" + (f"?{query}" if query else "")


@pytest.fixture(scope="session")
def pg_root_url() -> Iterator[str]:
    external = os.environ.get("DATABASE_URL")
    if external:
        yield external
        return
    # Not under pytest's basetemp: pytest prunes old basetemps, which would pull the data dir
    # from under a concurrently running session.
    root = Path(tempfile.mkdtemp(prefix="dental-pg-"))
    atexit.register(shutil.rmtree, root, True)  # runs after pgserver's own atexit stop (LIFO)
    pg_dir = root / "data"
    yield db.start_embedded(pg_dir)  # stops when the test process exits


@pytest.fixture(scope="session")
def template_url(pg_root_url: str) -> str:
    with psycopg.connect(db.libpq_url(pg_root_url), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {TEMPLATE}")
    url = _with_db(pg_root_url, TEMPLATE)
    db.migrate(url)
    return url


def create_database(pg_root_url: str, template_url: str) -> str:
    """A fresh, migrated, empty database; returns its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(db.libpq_url(pg_root_url), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    return _with_db(pg_root_url, name)


def drop_database(pg_root_url: str, url: str) -> None:
    name = url.partition("?")[0].rsplit("/", 1)[1]
    with psycopg.connect(db.libpq_url(pg_root_url), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def db_url(pg_root_url: str, template_url: str) -> Iterator[str]:
    """URL of a fresh migrated database (no data) for this test."""
    url = create_database(pg_root_url, template_url)
    yield url
    drop_database(pg_root_url, url)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = db.make_engine(db_url, pool_size=5, max_overflow=250)
    yield eng
    eng.dispose()


@pytest.fixture
def seeded_engine(engine: Engine) -> Engine:
    """Engine on a fresh database with the demo seed (clinic Europe/Berlin, dentists 1-3,
    treatments incl. checkup, patients 1-2, admin) with rules valid from SEED_TODAY."""
    with engine.begin() as conn:
        seed_demo(conn, SEED_TODAY)
    return engine
