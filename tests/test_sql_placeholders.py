"""`:name` statements rewritten for psycopg: the rewrite itself, and the rewritten statement
run on a real PostgreSQL connection (casts, quoted colons and percent signs survive)."""

from __future__ import annotations

import psycopg
import pytest

from chatbot import db
from chatbot.repositories.placeholders import for_psycopg


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("SELECT 1 WHERE id = :id", "SELECT 1 WHERE id = %(id)s"),
        ("WHERE a > :x AND b < :x", "WHERE a > %(x)s AND b < %(x)s"),
        ("SELECT :n::int + 1", "SELECT %(n)s::int + 1"),
        ("SELECT '[]'::jsonb, ts::timestamptz", "SELECT '[]'::jsonb, ts::timestamptz"),
        ("SELECT '12:30', 'it''s :not_a_param'", "SELECT '12:30', 'it''s :not_a_param'"),
        ("WHERE name LIKE 'a%' AND n % 2 = :r", "WHERE name LIKE 'a%%' AND n %% 2 = %(r)s"),
        ("SELECT :_a1, :b_2", "SELECT %(_a1)s, %(b_2)s"),
        ("SELECT 1", "SELECT 1"),
    ],
)
def test_rewrite(written: str, expected: str) -> None:
    assert for_psycopg(written) == expected


def test_rewritten_statement_runs_on_psycopg(pg_root_url: str) -> None:
    sql = for_psycopg(
        "SELECT :n::int * 2, '12:30'::time::text, 'a:b%' LIKE 'a:%', :s || ':' || :s, 7 % 4"
    )
    with psycopg.connect(db.libpq_url(pg_root_url)) as conn:
        row = conn.execute(sql, {"n": "21", "s": "x"}).fetchone()
    assert row == (42, "12:30:00", True, "x:x", 3)


def test_missing_parameter_is_an_error_not_a_literal(pg_root_url: str) -> None:
    with (
        psycopg.connect(db.libpq_url(pg_root_url)) as conn,
        pytest.raises(psycopg.ProgrammingError),
    ):
        conn.execute(for_psycopg("SELECT :a, :b"), {"a": 1})
