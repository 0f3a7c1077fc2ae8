"""SQL for `app_user`: the seeded sign-in accounts of the demo pages."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row


async def display_name(conn: AsyncConnection[Any], sub: str) -> str | None:
    cur = await conn.execute("SELECT display_name FROM app_user WHERE sub = %s", (sub,))
    row = await cur.fetchone()
    return str(row[0]) if row else None


async def find_user(conn: AsyncConnection[Any], sub: str) -> dict[str, Any] | None:
    """The account row (sub, role, display_name, patient_id, dentist_id), or None."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            "SELECT sub, role, display_name, patient_id, dentist_id FROM app_user WHERE sub = %s",
            (sub,),
        )
        return await cur.fetchone()
