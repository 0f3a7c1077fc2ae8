"""SQL for `app_user`: the seeded sign-in accounts of the demo pages."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from chatbot.repositories.placeholders import for_psycopg

_DISPLAY_NAME = for_psycopg("SELECT display_name FROM app_user WHERE sub = :sub")
_FIND = for_psycopg(
    "SELECT sub, role, display_name, patient_id, dentist_id FROM app_user WHERE sub = :sub"
)


async def display_name(conn: AsyncConnection[Any], sub: str) -> str | None:
    cur = await conn.execute(_DISPLAY_NAME, {"sub": sub})
    row = await cur.fetchone()
    return str(row[0]) if row else None


async def find_user(conn: AsyncConnection[Any], sub: str) -> dict[str, Any] | None:
    """The account row (sub, role, display_name, patient_id, dentist_id), or None."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(_FIND, {"sub": sub})
        return await cur.fetchone()
