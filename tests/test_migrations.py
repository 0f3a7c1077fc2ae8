"""Migrations applied to an empty database produce exactly the expected schema."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from chatbot import db

EXPECTED_TABLES = {
    "schema_migration",
    "clinic",
    "dentist",
    "patient",
    "app_user",
    "treatment",
    "availability_rule",
    "availability_exception",
    "appointment",
    "handoff_request",
    "sync_event",
    "appointment_reminder",
    "calendar_feed",
    "waitlist_entry",
    "waitlist_offer",
}


def _schema(url: str) -> dict[str, list[tuple[str, str, str]]]:
    with psycopg.connect(db.libpq_url(url)) as conn:
        cols = conn.execute(
            "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns"
            " WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
        ).fetchall()
        cons = conn.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2"
        ).fetchall()
        trg = conn.execute(
            "SELECT event_object_table, trigger_name, event_manipulation"
            " FROM information_schema.triggers ORDER BY 1, 2, 3"
        ).fetchall()
    out: dict[str, list] = {}
    for t, c, ty, nul in cols:
        out.setdefault(t, []).append((c, ty, nul))
    out["__constraints__"] = cons
    out["__triggers__"] = trg
    return out


def test_migrations_on_empty_db_match_expected_tables(db_url: str) -> None:
    schema = _schema(db_url)
    assert set(schema) >= EXPECTED_TABLES
    with psycopg.connect(db.libpq_url(db_url)) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migration ORDER BY 1")]
    assert versions == [v for v, _, _ in db.migration_files()]


SNAPSHOT = Path(__file__).resolve().parents[1] / "db" / "schema.expected.txt"


def _schema_text(url: str) -> str:
    """A stable, reviewable rendering of the live schema: columns, constraints, indexes,
    triggers and functions of `public`."""
    with psycopg.connect(db.libpq_url(url)) as conn:
        indexes = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname"
        ).fetchall()
        funcs = conn.execute(
            "SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') -> '"
            " || pg_get_function_result(p.oid) FROM pg_proc p"
            " WHERE p.pronamespace = 'public'::regnamespace ORDER BY 1"
        ).fetchall()
    schema = _schema(url)
    lines = []
    for table in sorted(k for k in schema if not k.startswith("__")):
        lines.append(f"table {table}")
        lines += [f"  {c} {t}{'' if n == 'YES' else ' not null'}" for c, t, n in schema[table]]
    lines += [f"constraint {t}.{n}: {d}" for t, n, d in schema["__constraints__"]]
    lines += [f"trigger {t}.{n} {e}" for t, n, e in schema["__triggers__"]]
    lines += [f"index {d}" for (d,) in indexes]
    lines += [f"function {f}" for (f,) in funcs]
    return "\n".join(lines) + "\n"


def test_empty_db_migrated_equals_expected_schema(db_url: str) -> None:
    """db/schema.expected.txt is the reviewed schema; regenerate it deliberately with
    UPDATE_SCHEMA_SNAPSHOT=1 .venv/bin/pytest tests/test_migrations.py"""
    actual = _schema_text(db_url)
    if os.environ.get("UPDATE_SCHEMA_SNAPSHOT") == "1":
        SNAPSHOT.write_text(actual)
    assert actual == SNAPSHOT.read_text()


def test_migrating_twice_is_a_noop_and_schema_is_stable(db_url: str) -> None:
    before = _schema(db_url)
    assert db.migrate(db_url) == []
    assert _schema(db_url) == before


def test_exclusion_constraint_and_triggers_exist(db_url: str) -> None:
    schema = _schema(db_url)
    defs = {name: d for _, name, d in schema["__constraints__"]}
    assert "EXCLUDE USING gist" in defs["appointment_no_overlap"]
    triggers = {(t, n, e) for t, n, e in schema["__triggers__"]}
    for op in ("INSERT", "UPDATE", "DELETE"):
        assert any(t == "appointment" and e == op for t, _, e in triggers)
        assert any(t == "availability_rule" and e == op for t, _, e in triggers)


def test_bad_migration_name_is_rejected(tmp_path) -> None:
    (tmp_path / "1_oops.sql").write_text("SELECT 1")
    with pytest.raises(RuntimeError, match="bad migration file name"):
        db.migration_files(tmp_path)
