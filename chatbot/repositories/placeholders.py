"""One parameter style for every statement in this package: SQLAlchemy's `:name`.

The synchronous modules hand their SQL to SQLAlchemy's `text()`, which reads `:name`. The
asynchronous ones (`events`, `webhooks`, `users`) run on psycopg's `AsyncConnection` — the web
app's pool and the listener, whose LISTEN needs a psycopg connection — and psycopg reads only
`%s` / `%(name)s`. Writing `%(name)s` there would be the smaller diff, but it leaves two
dialects in one package and makes `%` mean both "placeholder" and "LIKE wildcard". Instead the
async modules write `:name` too and pass each statement through `for_psycopg` once, when the
module is imported, so nothing is rewritten per call and every statement reads the same way.

Rules of the rewrite: `:name` becomes `%(name)s`; `::type` casts stay; text inside single
quotes keeps its colons; every literal `%` is doubled. A rewritten statement is executed with a
mapping (psycopg only undoes `%%` when parameters are given); statements without parameters
(`LISTEN`, `SELECT max(id) ...`) stay plain strings.
"""

from __future__ import annotations

import re

# Alternatives tried left to right: a quoted literal ('' is an escaped quote), a cast, a
# parameter name, a percent sign.
_TOKEN = re.compile(r"'(?:[^']|'')*'|::|:([A-Za-z_]\w*)|%")


def _rewrite(match: re.Match[str]) -> str:
    token = match.group(0)
    if match.group(1):
        return f"%({match.group(1)})s"
    return token.replace("%", "%%")


def for_psycopg(sql: str) -> str:
    """`sql` written with `:name` parameters, in psycopg's `%(name)s` form."""
    return _TOKEN.sub(_rewrite, sql)
