"""First run in a real Chromium: the page works while the assistant is still starting, the
widget says so (with the training percentage), and once Rasa answers it sends the waiting
message by itself. A second web app runs against the stack's database with a Rasa URL where
nothing listens yet; a stand-in Rasa is started there halfway through the test."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from playwright.sync_api import Browser, expect
from stack import Stack, free_port, procfile, spawn, wait_ready
from test_browser_pages import BOT_TIMEOUT_MS, browser, open_page  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


class StandInRasa:
    """Rasa's two endpoints the gateway uses (`/` once loaded, the REST channel), in a thread."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.loop = asyncio.new_event_loop()
        self.runner: web.AppRunner | None = None
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    async def _start(self) -> None:
        async def root(_request: web.Request) -> web.Response:
            return web.Response(text="Hello from Rasa")

        async def webhook(request: web.Request) -> web.Response:
            body = await request.json()
            return web.json_response([{"text": f"echo: {body['message']}"}])

        app = web.Application()
        app.router.add_get("/", root)
        app.router.add_post("/webhooks/rest/webhook", webhook)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)

    def stop(self) -> None:
        if self.runner:
            asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture
def starting_web(stack: Stack, tmp_path: Path) -> Iterator[tuple[str, int, Path]]:
    """A web app whose Rasa is not up yet; yields (url, rasa port, progress file)."""
    web_port, rasa_port = free_port(), free_port()
    progress = tmp_path / "progress.json"
    progress.write_text(json.dumps({"state": "training", "percent": 40}))
    env = os.environ | {
        "DATABASE_URL": stack.db_url,
        "APP_JWT_SECRET": stack.secret,
        "APP_PORT": str(web_port),
        "RASA_URL": f"http://127.0.0.1:{rasa_port}",
        "APP_DEV_MODE": "1",
        "APP_DATA_DIR": str(tmp_path),
        "APP_PROGRESS_FILE": str(progress),
    }
    proc = spawn(procfile()["web"], env, tmp_path / "web.log")
    url = f"http://127.0.0.1:{web_port}"
    try:
        wait_ready(f"{url}/api/realtime/health", proc, tmp_path / "web.log", 60)
        yield url, rasa_port, progress
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)


def test_the_widget_waits_for_the_assistant_and_sends_by_itself(
    browser: Browser,  # noqa: F811
    starting_web: tuple[str, int, Path],
) -> None:
    url, rasa_port, progress = starting_web
    page = open_page(browser, url, "patient-1", "/")
    page.fill("#chat-input", "hello, is anyone there?")
    page.press("#chat-input", "Enter")
    banner = page.locator(".chat-error")
    expect(banner).to_contain_text("starting", timeout=10_000)
    expect(banner).to_contain_text("40 %", timeout=10_000)
    expect(page.locator("#chat-input")).to_be_disabled()
    rasa = StandInRasa(rasa_port)
    rasa.start()
    progress.write_text(json.dumps({"state": "done", "percent": 100}))
    try:
        reply = page.locator("[data-chat-log] .msg-bot").last
        expect(reply).to_contain_text("echo: hello, is anyone there?", timeout=BOT_TIMEOUT_MS)
        expect(page.locator(".chat-error-box")).to_be_hidden()
        expect(page.locator("#chat-input")).to_be_enabled()
    finally:
        rasa.stop()
        page.context.close()
