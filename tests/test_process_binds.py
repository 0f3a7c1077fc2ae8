"""What `make run` starts listens on loopback only, and the servers refuse unsafe settings.

The web app and the action server are started from the Procfile's own command lines (as
honcho does), with the environment scripts/run.sh gives them and no host setting; their
listening sockets are read from /proc. Rasa's real sockets are checked by the e2e suite
(tests/e2e/test_chat_e2e.py), which starts all three the same way.
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e.stack import free_port, listening_sockets, procfile, spawn, wait_ready

from chatbot.config import Settings, is_loopback


def _env(db_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k not in ("APP_HOST", "ACTIONS_HOST")}
    return (
        keep
        | {
            "DATABASE_URL": db_url,
            "APP_JWT_SECRET": "binds-test-secret-0123456789abcdef",
            "APP_DATA_DIR": str(tmp_path),
            "APP_DEV_MODE": "1",  # what scripts/run.sh sets
            "PYTHONUNBUFFERED": "1",
        }
        | extra
    )


@pytest.fixture
def started(db_url: str, tmp_path: Path) -> Iterator[dict[str, tuple[int, int]]]:
    """web and actions from the Procfile: name -> (pid, port)."""
    ports = {"web": free_port(), "actions": free_port()}
    env = _env(db_url, tmp_path, APP_PORT=str(ports["web"]), ACTION_PORT=str(ports["actions"]))
    ready = {
        "web": f"http://127.0.0.1:{ports['web']}/api/realtime/health",
        "actions": f"http://127.0.0.1:{ports['actions']}/health",
    }
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, url in ready.items():
            log = tmp_path / f"{name}.log"
            procs[name] = spawn(procfile()[name], env, log)
            wait_ready(url, procs[name], log, 90)
        yield {name: (proc.pid, ports[name]) for name, proc in procs.items()}
    finally:
        for proc in procs.values():
            os.killpg(proc.pid, 15)
            proc.wait(timeout=20)


def test_web_app_and_action_server_listen_on_loopback_only(
    started: dict[str, tuple[int, int]],
) -> None:
    for name, (pid, port) in started.items():
        sockets = listening_sockets(pid)
        assert port in {p for _, p in sockets}, (name, sockets)
        exposed = {s for s in sockets if not ipaddress.ip_address(s[0]).is_loopback}
        assert not exposed, f"{name} listens beyond loopback: {exposed}"


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, body, headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_action_server_has_no_cors_and_never_echoes_errors(
    started: dict[str, tuple[int, int]],
) -> None:
    url = f"http://127.0.0.1:{started['actions'][1]}/webhook"
    origin = {"Origin": "http://evil.example", "Content-Type": "application/json"}
    marker = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwYXRpZW50LTEifQ.SECRET-TURN-TOKEN"
    # A body the executor cannot handle (the tracker is not an object): an unhandled error.
    call = {"next_action": "action_list_appointments", "tracker": marker, "domain": {}}
    crash = json.dumps(call).encode()
    for body in (crash, b"{not json", b'["a list"]'):
        status, headers, raw = _post(url, body, origin)
        assert status in (400, 500), (status, raw)
        assert set(json.loads(raw)) == {"error"}
        assert b"SECRET" not in raw and b"tracker" not in raw and b"Traceback" not in raw
        assert not any(h.lower().startswith("access-control-") for h in headers)
    preflight = urllib.request.Request(
        url,
        method="OPTIONS",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )
    with urllib.request.urlopen(preflight, timeout=30) as resp:
        assert "Access-Control-Allow-Origin" not in resp.headers


def test_demo_sign_in_refuses_to_start_on_a_public_bind(db_url: str, tmp_path: Path) -> None:
    env = _env(db_url, tmp_path, APP_HOST="0.0.0.0", APP_PORT=str(free_port()))
    done = subprocess.run(
        ["/bin/sh", "-c", procfile()["web"]],
        env=env,
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert b"refusing to enable the demo sign-in" in done.stderr


def test_settings_default_to_loopback_and_no_demo_sign_in(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for key in ("APP_HOST", "ACTIONS_HOST", "APP_DEV_MODE"):
        monkeypatch.delenv(key, raising=False)
    settings = Settings.from_env()
    assert (settings.app_host, settings.actions_host, settings.dev_mode) == (
        "127.0.0.1",
        "127.0.0.1",
        False,
    )
    for host in ("0.0.0.0", "::", "", "192.168.1.10", "example.org"):
        assert not is_loopback(host)
        with pytest.raises(ValueError, match="refusing"):
            Settings(dev_mode=True, app_host=host)
        assert Settings(dev_mode=False, app_host=host).app_host == host  # told otherwise
    for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        assert Settings(dev_mode=True, app_host=host).dev_mode


def test_rasa_runs_without_its_http_api_on_loopback() -> None:
    """Rasa's command line (its real sockets are checked in the e2e suite): REST channel only,
    no `--enable-api` (which serves /conversations/{id}/tracker with the chat's metadata)."""
    argv = procfile()["rasa"].split()
    assert "--enable-api" not in argv and "--cors" not in argv
    assert argv[argv.index("-i") + 1] == "127.0.0.1"
