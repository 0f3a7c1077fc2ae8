"""Database helpers shared by fixtures and tests (import from here, not from conftest:
tests/e2e has a conftest.py of its own, so `import conftest` is ambiguous)."""

from __future__ import annotations

import datetime as dt
import uuid

import psycopg

from chatbot import db

TEMPLATE = "app_template"
# "Today" for the demo seed, derived from the real date (never a fixed calendar day): the
# Monday of the current week, so weekday rules already hold for every test date from now on.
_today = dt.date.today()
SEED_TODAY = _today - dt.timedelta(days=_today.weekday())


def with_db(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    root = base.rsplit("/", 1)[0]
    return f"{root}/{name}" + (f"?{query}" if query else "")


def create_database(pg_root_url: str, template_url: str) -> str:
    """A fresh, migrated, empty database; returns its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(db.libpq_url(pg_root_url), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    return with_db(pg_root_url, name)


def drop_database(pg_root_url: str, url: str) -> None:
    name = url.partition("?")[0].rsplit("/", 1)[1]
    with psycopg.connect(db.libpq_url(pg_root_url), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
