"""Operator commands: `python -m chatbot.cli {db-up,db-down,migrate,seed,token}`."""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys

from chatbot.auth import ROLES, Principal, issue_token
from chatbot.config import Settings, ensure_jwt_secret
from chatbot.db import database_url, make_engine, migrate, stop_embedded
from chatbot.seed import seed_demo


def _prepare(settings: Settings, *, shared: bool) -> str:
    url = database_url(settings, shared=shared)
    applied = migrate(url)
    engine = make_engine(url, pool_size=1)
    with engine.begin() as conn:
        seeded = seed_demo(conn, dt.date.today())
    engine.dispose()
    print(
        f"database ready: {len(applied)} migration(s) applied, demo data "
        f"{'seeded' if seeded else 'already present'}",
        file=sys.stderr,
    )
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chatbot.cli")
    sub = parser.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser(
        "db-up", help="start embedded Postgres (unless DATABASE_URL), migrate, seed"
    )
    up.add_argument("--export", action="store_true", help="print `export DATABASE_URL=...`")
    sub.add_parser("db-down", help="stop the embedded Postgres started by db-up")
    sub.add_parser("migrate", help="apply pending migrations")
    sub.add_parser("seed", help="seed demo data if the database is empty")
    tok = sub.add_parser("token", help="print a signed JWT for local use")
    tok.add_argument("--role", required=True, choices=ROLES)
    tok.add_argument(
        "--id", type=int, default=1, help="patient id (patient, chatbot) or dentist id (dentist)"
    )
    tok.add_argument("--sub", default=None)
    tok.add_argument("--ttl", type=int, default=12 * 3600)
    args = parser.parse_args(argv)
    settings = Settings.from_env()

    if args.cmd == "db-up":
        url = _prepare(settings, shared=True)
        print(f"export DATABASE_URL={shlex.quote(url)}" if args.export else url)
    elif args.cmd == "db-down":
        if not settings.database_url:
            stop_embedded(settings.pg_dir)
    elif args.cmd in ("migrate", "seed"):
        _prepare(settings, shared=False)
    elif args.cmd == "token":
        secret = ensure_jwt_secret()
        ids = {
            "patient": {"patient_id": args.id},
            "chatbot": {"patient_id": args.id},  # the bot acts for exactly one patient
            "dentist": {"dentist_id": args.id},
        }
        default_sub = f"{args.role}-{args.id}" if args.role in ids else args.role
        principal = Principal(sub=args.sub or default_sub, role=args.role, **ids.get(args.role, {}))
        print(issue_token(secret, principal, args.ttl))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
