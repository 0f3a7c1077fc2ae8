"""The running stack (the Procfile's processes, as `make run` starts them): loopback-only
sockets, no Rasa HTTP API, and no reusable token anywhere at rest after a real chat turn."""

from __future__ import annotations

import ipaddress
import json
import re
import urllib.error
import urllib.request

import pytest
from sqlalchemy import text
from stack import Stack, listening_sockets

from chatbot.db import make_engine

pytestmark = pytest.mark.e2e
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")


def _status(method: str, url: str, body: object = None, token: str = "") -> int:
    request = urllib.request.Request(
        url,
        None if body is None else json.dumps(body).encode(),
        {"Content-Type": "application/json"}
        | ({"Authorization": f"Bearer {token}"} if token else {}),
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


def test_every_process_listens_on_loopback_only(stack: Stack) -> None:
    assert set(stack.procs) == {"web", "actions", "rasa"}
    for name, proc in stack.procs.items():
        sockets = listening_sockets(proc.pid)
        assert sockets, f"{name} listens nowhere?"
        exposed = {s for s in sockets if not ipaddress.ip_address(s[0]).is_loopback}
        assert not exposed, f"{name} listens beyond loopback: {exposed}"


def test_rasa_http_api_is_closed(stack: Stack) -> None:
    """Only the REST channel: no tracker (with the chat's metadata) and no remote execution."""
    assert _status("GET", f"{stack.rasa_url}/conversations/patient-2/tracker") == 404
    assert _status("POST", f"{stack.rasa_url}/conversations/patient-2/execute",
                   {"name": "action_list_appointments"}) == 404  # fmt: skip
    assert _status("GET", f"{stack.rasa_url}/status") == 404
    assert _status("GET", f"{stack.rasa_url}/webhooks/rest/") == 200


def test_a_chat_turn_leaves_no_token_in_the_tracker_store(stack: Stack) -> None:
    sender = "e2e-token-at-rest"
    replies = stack.chat("what are your opening hours?", stack.token("patient", 2, sub=sender))
    assert replies
    engine = make_engine(stack.db_url, pool_size=1)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT coalesce(data, '') FROM events WHERE sender_id = :s"), {"s": sender}
            ).scalars().all()  # fmt: skip
    finally:
        engine.dispose()
    assert any('"user"' in row for row in rows)  # the turn was stored ...
    assert not [row for row in rows if JWT_SHAPE.search(row)]  # ... without its token


def test_turn_tokens_only_open_the_action_server(stack: Stack) -> None:
    turn = stack.turn_token("patient", 1, sub="e2e-turn-token")
    assert _status("GET", f"{stack.web_url}/api/appointments", token=turn) == 401
    # ... and a web token is no turn token: the actions treat its holder as signed out.
    web = stack.token("patient", 1, sub="e2e-web-token")
    replies = stack.rasa_rest("e2e-web-token", "show my appointments", {"token": web})
    assert "sign in" in " ".join(r.get("text") or "" for r in replies).lower()
