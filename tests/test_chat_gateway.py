"""`POST /api/chat`: who may talk to the bot, what reaches Rasa, and how abuse is refused.

A fake Rasa REST channel runs on 127.0.0.1 and records every request it receives.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from chatbot.auth import Principal, issue_token, verify_token
from chatbot.config import Settings
from chatbot.errors import Unauthorized
from sync.chat import TURN_TOKEN_TTL_S, setup_chat
from sync.keys import SETTINGS

SECRET = "test-secret-for-the-chat-gateway"
BOT_REPLY = [
    {"text": "Here are some times:", "buttons": [{"title": "Tue 14:00", "payload": "/pick{}"}]},
    {"custom": {"kind": "slots"}},
]


async def _rasa_root(_request: web.Request) -> web.Response:
    """Rasa answers its root once its model is loaded (the gateway's readiness probe)."""
    return web.Response(text="Hello from Rasa")


@dataclass
class FakeRasa:
    url: str
    received: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    fake = FakeRasa(url="")

    async def webhook(request: web.Request) -> web.Response:
        fake.received.append(await request.json())
        return web.json_response(BOT_REPLY)

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    app.router.add_get("/", _rasa_root)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    fake.url = f"http://127.0.0.1:{port}"
    yield fake
    await runner.cleanup()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _settings(rasa_url: str, **overrides: Any) -> Settings:
    # Never the repository's models/.progress.json: a training running meanwhile writes it.
    overrides.setdefault("progress_file", Path("/nonexistent/.progress.json"))
    return Settings(jwt_secret=SECRET, rasa_url=rasa_url, **overrides)


async def _client(aiohttp_client: Any, settings: Settings) -> TestClient:
    app = web.Application()
    app[SETTINGS] = settings
    setup_chat(app)
    return await aiohttp_client(app)


def _auth(sub: str = "patient-1", patient_id: int = 1) -> dict[str, str]:
    token = issue_token(SECRET, Principal(sub=sub, role="patient", patient_id=patient_id))
    return {"Authorization": f"Bearer {token}"}


async def test_relays_the_message_as_the_token_subject(aiohttp_client, fake_rasa):
    client = await _client(aiohttp_client, _settings(fake_rasa.url))
    headers = _auth()
    resp = await client.post(
        "/api/chat",
        json={"message": "  a checkup next Tuesday afternoon ", "sender": "patient-2"},
        headers=headers,
    )
    assert resp.status == 200
    assert await resp.json() == BOT_REPLY
    [sent] = fake_rasa.received
    assert sent["sender"] == "patient-1"  # the forged sender is ignored
    assert sent["message"] == "a checkup next Tuesday afternoon"
    metadata = dict(sent["metadata"])
    turn_token = metadata.pop("token")
    assert metadata == {"role": "patient", "patient_id": 1, "dentist_id": None}
    # A fresh short-lived token for this turn, not the caller's own long-lived one, only
    # for the action server: the web app (no audience) refuses it.
    assert turn_token != headers["Authorization"].removeprefix("Bearer ")
    assert verify_token(SECRET, turn_token, audience="actions") == Principal(
        sub="patient-1", role="patient", patient_id=1
    )
    with pytest.raises(Unauthorized):
        verify_token(SECRET, turn_token)
    claims = jwt.decode(turn_token, SECRET, algorithms=["HS256"], audience="actions")
    assert claims["exp"] - claims["iat"] <= TURN_TOKEN_TTL_S
    assert claims["aud"] == "actions"


async def test_a_web_token_is_not_a_turn_token(aiohttp_client, fake_rasa):
    """The action server accepts only turn tokens: a caller's web token is refused there."""
    web_token = _auth()["Authorization"].removeprefix("Bearer ")
    with pytest.raises(Unauthorized):
        verify_token(SECRET, web_token, audience="actions")


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-jwt"}, {"Authorization": "Basic abc"}],
    ids=["missing", "garbage", "wrong-scheme"],
)
async def test_without_a_valid_token_is_401(aiohttp_client, fake_rasa, headers):
    client = await _client(aiohttp_client, _settings(fake_rasa.url))
    resp = await client.post("/api/chat", json={"message": "hi"}, headers=headers)
    assert resp.status == 401
    assert (await resp.json())["error"] == "unauthorized"
    assert fake_rasa.received == []


async def test_token_signed_with_another_secret_is_401(aiohttp_client, fake_rasa):
    client = await _client(aiohttp_client, _settings(fake_rasa.url))
    forged = issue_token(
        "another-secret-of-at-least-32-bytes!", Principal(sub="admin", role="admin")
    )
    resp = await client.post(
        "/api/chat", json={"message": "hi"}, headers={"Authorization": f"Bearer {forged}"}
    )
    assert resp.status == 401
    assert fake_rasa.received == []


async def test_rate_limit_per_subject_is_429_with_retry_after(aiohttp_client, fake_rasa):
    settings = _settings(fake_rasa.url, chat_rate_limit=3, chat_rate_window_s=60)
    client = await _client(aiohttp_client, settings)
    for _ in range(3):
        resp = await client.post("/api/chat", json={"message": "hi"}, headers=_auth())
        assert resp.status == 200
    resp = await client.post("/api/chat", json={"message": "hi"}, headers=_auth())
    assert resp.status == 429
    assert 1 <= int(resp.headers["Retry-After"]) <= 60
    # Another patient is not affected by patient-1's burst.
    other = await client.post("/api/chat", json={"message": "hi"}, headers=_auth("patient-2", 2))
    assert other.status == 200
    assert len(fake_rasa.received) == 4


async def test_oversized_message_is_413(aiohttp_client, fake_rasa):
    settings = _settings(fake_rasa.url)
    client = await _client(aiohttp_client, settings)
    at_limit = "a" * settings.max_chat_chars
    resp = await client.post("/api/chat", json={"message": at_limit}, headers=_auth())
    assert resp.status == 200
    too_long = "a" * (settings.max_chat_chars + 1)
    resp = await client.post("/api/chat", json={"message": too_long}, headers=_auth())
    assert resp.status == 413
    huge_body = b'{"message": "' + b"a" * (settings.max_body_bytes + 10) + b'"}'
    json_type = {"Content-Type": "application/json"}
    resp = await client.post("/api/chat", data=huge_body, headers=_auth() | json_type)
    assert resp.status == 413
    assert len(fake_rasa.received) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"\xff\xfe garbage",
        b'["message"]',
        b'{"message": 42}',
        b'{"message": null}',
        b'{"text": "hi"}',
        b'{"message": "   \\u0000 "}',
        b'{"message": "\\ud800"}',
    ],
    ids=["broken", "not-utf8", "list", "number", "null", "missing", "blank", "lone-surrogate"],
)
async def test_malformed_body_is_422(aiohttp_client, fake_rasa, body):
    client = await _client(aiohttp_client, _settings(fake_rasa.url))
    resp = await client.post(
        "/api/chat", data=body, headers=_auth() | {"Content-Type": "application/json"}
    )
    assert resp.status == 422
    assert (await resp.json())["error"] == "invalid_input"
    assert fake_rasa.received == []


async def test_rasa_down_is_503_json_with_retry_after(aiohttp_client):
    client = await _client(aiohttp_client, _settings(f"http://127.0.0.1:{_closed_port()}"))
    resp = await client.post("/api/chat", json={"message": "hi"}, headers=_auth())
    assert resp.status == 503 and resp.headers["Retry-After"] == "5"
    assert (await resp.json())["error"] == "assistant_starting"
    status = await client.get("/api/chat/status", headers=_auth())
    assert (await status.json()) == {"state": "starting", "percent": None, "ready": False}
    assert (await client.get("/api/chat/status")).status == 401


async def test_training_progress_is_reported_while_rasa_is_not_up(aiohttp_client, tmp_path):
    progress = tmp_path / "progress.json"
    progress.write_text('{"state": "training", "percent": 40}')
    settings = _settings(f"http://127.0.0.1:{_closed_port()}", progress_file=progress)
    client = await _client(aiohttp_client, settings)
    status = await (await client.get("/api/chat/status", headers=_auth())).json()
    assert status == {"state": "training", "percent": 40, "ready": False}
    resp = await client.post("/api/chat", json={"message": "hi"}, headers=_auth())
    assert "training its language model (40 %)" in (await resp.json())["message"]


async def test_overload_is_shed_at_once_not_queued(aiohttp_client):
    """With Rasa slow, a user's second turn while the first is in flight, and any turn beyond
    the in-flight bound, get 503 + Retry-After immediately (never a gateway timeout)."""
    import asyncio

    release = asyncio.Event()
    fake = web.Application()

    async def slow_webhook(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response([{"text": "ok"}])

    fake.router.add_post("/webhooks/rest/webhook", slow_webhook)
    fake.router.add_get("/", _rasa_root)
    runner = web.AppRunner(fake)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    client = await _client(aiohttp_client, _settings(url, chat_max_inflight=2))
    try:
        first = asyncio.ensure_future(
            client.post("/api/chat", json={"message": "a"}, headers=_auth("patient-1"))
        )
        second = asyncio.ensure_future(
            client.post("/api/chat", json={"message": "b"}, headers=_auth("patient-2", 2))
        )
        await asyncio.sleep(0.3)
        same_user = await client.post("/api/chat", json={"message": "c"}, headers=_auth())
        third_user = await client.post(
            "/api/chat", json={"message": "d"}, headers=_auth("patient-3", 3)
        )
        assert not release.is_set()  # both refusals came back while Rasa was still busy
        for resp in (same_user, third_user):
            assert resp.status == 503 and resp.headers["Retry-After"] == "1"
            assert (await resp.json())["error"] == "assistant_busy"
        release.set()
        assert [(await r).status for r in (first, second)] == [200, 200]
    finally:
        release.set()
        await runner.cleanup()


async def test_bodies_other_than_json_are_415(aiohttp_client, fake_rasa):
    client = await _client(aiohttp_client, _settings(fake_rasa.url))
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = _auth() | ({"Content-Type": content_type} if content_type else {})
        resp = await client.post("/api/chat", data=b'{"message": "hi"}', headers=headers)
        assert resp.status == 415, content_type
        assert (await resp.json())["error"] == "unsupported_media_type"
    assert fake_rasa.received == []


async def test_deeply_nested_json_is_400_not_a_crash(aiohttp_client, fake_rasa):
    client = await _client(aiohttp_client, _settings(fake_rasa.url))
    headers = _auth() | {"Content-Type": "application/json"}
    for raw in (b"[" * 30000, b'{"message": ' + b"[" * 5000 + b"]" * 5000 + b"}"):
        resp = await client.post("/api/chat", data=raw, headers=headers)
        assert resp.status == 400
        assert (await resp.json())["error"] == "bad_request"
    assert fake_rasa.received == []


async def test_401_text_is_generic(aiohttp_client, fake_rasa):
    """The reason (expired, bad signature, ...) is logged, never told: one text for all."""
    client = await _client(aiohttp_client, _settings(fake_rasa.url))
    expired = issue_token(SECRET, Principal(sub="p", role="patient", patient_id=1), ttl_s=-60)
    forged = issue_token("x" * 40, Principal(sub="admin", role="admin"))
    messages = set()
    for tok in ("not-a-jwt", expired, forged, "a.b.c"):
        resp = await client.post(
            "/api/chat", json={"message": "hi"}, headers={"Authorization": f"Bearer {tok}"}
        )
        assert resp.status == 401
        messages.add((await resp.json())["message"])
    [message] = messages
    assert not any(w in message.lower() for w in ("signature", "segments", "decode"))
