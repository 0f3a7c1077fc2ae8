"""The gateway's share of chat capacity: several Rasa servers, each with its own in-flight
bound, and a start deadline Rasa enforces (rasa_ext/channels.py answers 503 past it).

Fake Rasa servers run on 127.0.0.1 and hold each turn until released, so "busy" is a fact of
the test, not a timing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from test_chat_gateway import _auth, _client, _rasa_root, _settings


@dataclass
class HeldRasa:
    url: str = ""
    headers: list[dict[str, str]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    answer_expired: bool = False


async def _start(fake: HeldRasa) -> web.AppRunner:
    async def webhook(request: web.Request) -> web.Response:
        fake.headers.append(dict(request.headers))
        if fake.answer_expired:
            return web.json_response({"error": "turn_deadline_passed"}, status=503)
        await fake.release.wait()
        return web.json_response([{"text": f"from {fake.url}"}])

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    app.router.add_get("/", _rasa_root)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    fake.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    return runner


@pytest.fixture
async def two_rasas() -> AsyncIterator[tuple[HeldRasa, HeldRasa]]:
    fakes = (HeldRasa(), HeldRasa())
    runners = [await _start(f) for f in fakes]
    yield fakes
    for fake in fakes:
        fake.release.set()
    for runner in runners:
        await runner.cleanup()


def _post(client: Any, sub: str, ident: int) -> asyncio.Future[Any]:
    return asyncio.ensure_future(
        client.post("/api/chat", json={"message": "hi"}, headers=_auth(sub, ident))
    )


async def test_turns_spread_over_servers_each_with_its_own_bound(aiohttp_client, two_rasas):
    a, b = two_rasas
    settings = _settings(f"{a.url}, {b.url}/", chat_max_inflight=1, chat_start_deadline_s=2.5)
    client = await _client(aiohttp_client, settings)
    sent_at = time.time()
    first, second = _post(client, "patient-1", 1), _post(client, "patient-2", 2)
    await asyncio.sleep(0.3)
    assert (len(a.headers), len(b.headers)) == (1, 1)  # one turn on each server
    third = await client.post("/api/chat", json={"message": "hi"}, headers=_auth("patient-3", 3))
    assert third.status == 503 and third.headers["Retry-After"] == "1"
    assert (await third.json())["error"] == "assistant_busy"  # both servers at their bound
    deadline = float(a.headers[0]["X-Turn-Deadline"])
    assert sent_at + 2.5 <= deadline <= time.time() + 2.5
    a.release.set()
    b.release.set()
    answered = {(await (await r).json())[0]["text"] for r in (first, second)}
    assert answered == {f"from {a.url}", f"from {b.url}"}


async def test_a_turn_rasa_refused_past_its_deadline_is_busy_not_an_error(
    aiohttp_client, two_rasas
):
    a, _ = two_rasas
    a.answer_expired = True
    client = await _client(aiohttp_client, _settings(a.url))
    resp = await client.post("/api/chat", json={"message": "hi"}, headers=_auth())
    assert resp.status == 503 and resp.headers["Retry-After"] == "1"
    assert (await resp.json())["error"] == "assistant_busy"
    assert len(a.headers) == 1


async def test_a_server_that_is_down_is_skipped_while_another_is_up(aiohttp_client, two_rasas):
    a, _ = two_rasas
    a.release.set()
    down = "http://127.0.0.1:9"  # discard port: nothing listens
    client = await _client(aiohttp_client, _settings(f"{down},{a.url}"))
    for sub, ident in (("patient-1", 1), ("patient-2", 2), ("patient-3", 3)):
        resp = await client.post("/api/chat", json={"message": "hi"}, headers=_auth(sub, ident))
        assert resp.status == 200, await resp.text()
    assert len(a.headers) == 3


def test_the_in_flight_bound_shrinks_when_answers_are_slow_and_grows_back() -> None:
    from pathlib import Path

    from sync.assistant import AssistantGate

    gate = AssistantGate("http://rasa", max_inflight=8, progress_file=Path("/none"))
    gate.inflight = 1
    for _ in range(12):
        gate.record(2.5)  # answers later than a second: fewer turns may wait
    assert gate.limit == 1.0 and not gate.admits()
    gate.inflight = 0
    assert gate.admits()  # never below one turn in flight
    for _ in range(60):
        gate.record(0.1)
    assert gate.limit == 8.0
    gate.inflight = 7
    assert gate.admits()
    gate.inflight = 8
    assert not gate.admits()
