"""One configuration object, read from the environment (and `.env` for local runs)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import BaseModel, Field

REPO_ROOT = Path(__file__).resolve().parents[1]
ENV_FILE = REPO_ROOT / ".env"


def load_dotenv(path: Path = ENV_FILE) -> None:
    """Load KEY=VALUE lines from `path` into os.environ without overriding what is set."""
    if not path.exists():
        return
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        os.environ.setdefault(key.strip(), value.strip().strip('"').strip("'"))


def ensure_jwt_secret(path: Path = ENV_FILE) -> str:
    """Return APP_JWT_SECRET, generating it into `.env` on first run if absent."""
    load_dotenv(path)
    secret = os.environ.get("APP_JWT_SECRET")
    if secret:
        return secret
    secret = secrets.token_urlsafe(48)
    with path.open("a") as fh:
        fh.write(f"APP_JWT_SECRET={secret}\n")
    os.environ["APP_JWT_SECRET"] = secret
    return secret


class Settings(BaseModel):
    """Process settings. Build with `Settings.from_env()`; tests construct it directly."""

    database_url: str | None = None
    data_dir: Path = REPO_ROOT / ".data"
    app_host: str = "0.0.0.0"
    app_port: int = 8080
    jwt_secret: str = Field(default="", repr=False)
    jwt_ttl_s: int = 12 * 3600
    rasa_url: str = "http://127.0.0.1:5005"
    action_port: int = 5055
    heartbeat_s: float = 30.0
    poll_interval_s: float = 2.0
    dev_mode: bool = True
    log_level: str = "INFO"
    chat_rate_limit: int = 20
    chat_rate_window_s: float = 10.0
    max_chat_chars: int = 2000
    max_body_bytes: int = 64 * 1024
    client_queue_size: int = 1000

    @property
    def pg_dir(self) -> Path:
        return self.data_dir / "pg"

    @classmethod
    def from_env(cls) -> Settings:
        load_dotenv()
        env = os.environ
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            data_dir=Path(env.get("APP_DATA_DIR", str(REPO_ROOT / ".data"))),
            app_host=env.get("APP_HOST", "0.0.0.0"),
            app_port=int(env.get("APP_PORT", "8080")),
            jwt_secret=env.get("APP_JWT_SECRET", ""),
            jwt_ttl_s=int(env.get("APP_JWT_TTL_S", str(12 * 3600))),
            rasa_url=env.get("RASA_URL", "http://127.0.0.1:5005"),
            action_port=int(env.get("ACTION_PORT", "5055")),
            heartbeat_s=float(env.get("APP_HEARTBEAT_S", "30")),
            poll_interval_s=float(env.get("APP_POLL_INTERVAL_S", "2")),
            dev_mode=env.get("APP_DEV_MODE", "1").lower() in ("1", "true", "yes"),
            log_level=env.get("LOG_LEVEL", "INFO"),
        )
