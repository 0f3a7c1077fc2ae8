"""Shared fixtures: one real PostgreSQL per test session, a fresh database per test.

`DATABASE_URL` set → databases are created on that server; unset → embedded pgserver in a
temp dir. A migrated template database makes a fresh DB per test cheap (CREATE ... TEMPLATE).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from db_support import SEED_TODAY, TEMPLATE, create_database, drop_database, with_db
from sqlalchemy import Engine

from chatbot import db
from chatbot.seed import seed_demo


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
    url = with_db(pg_root_url, TEMPLATE)
    db.migrate(url)
    return url


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
