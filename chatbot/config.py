"""One configuration object, read from the environment (and `.env` for local runs)."""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field, model_validator

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


LOOPBACK = "127.0.0.1"


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # "", "0.0.0.0"-like names and hostnames may reach the network


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes")


@dataclass(frozen=True)
class PatientLimits:
    """What one patient may hold/book through self-service (web page or chat)."""

    live_holds: int = 2
    future_appointments: int = 8


class Settings(BaseModel):
    """Process settings. Build with `Settings.from_env()`; tests construct it directly."""

    database_url: str | None = None
    data_dir: Path = REPO_ROOT / ".data"
    app_host: str = LOOPBACK
    app_port: int = 8080
    actions_host: str = LOOPBACK
    jwt_secret: str = Field(default="", repr=False)
    jwt_ttl_s: int = 12 * 3600
    rasa_url: str = "http://127.0.0.1:5005"  # several Rasa servers: comma-separated
    action_port: int = 5055
    actions_slot_cache: bool = True  # ACTIONS_SLOT_CACHE=0: the bot's searches read the DB
    heartbeat_s: float = 30.0
    poll_interval_s: float = 2.0
    dev_mode: bool = False  # the demo sign-in; `make run` turns it on explicitly
    log_level: str = "INFO"
    chat_rate_limit: int = 20
    chat_rate_window_s: float = 10.0
    write_rate_limit: int = Field(default=30, ge=1)
    write_rate_window_s: float = Field(default=60.0, gt=0)
    max_live_holds_per_patient: int = Field(default=2, ge=0)
    max_future_appointments_per_patient: int = Field(default=8, ge=0)
    max_chat_chars: int = 2000
    chat_max_inflight: int = Field(default=8, ge=1)  # turns in flight per Rasa server, then 503
    chat_start_deadline_s: float = Field(default=1.0, gt=0)  # Rasa skips a turn not begun by then
    progress_file: Path = REPO_ROOT / "models" / ".progress.json"  # scripts/train_progress.py
    max_body_bytes: int = 64 * 1024
    client_queue_size: int = 1000
    waitlist_offer_ttl_s: int = Field(default=600, ge=10, le=86400)
    metrics_public: bool = False  # GET /metrics without a token (APP_METRICS_PUBLIC=1)
    reminder_lead_h: float = Field(default=24.0, gt=0, le=24 * 30)
    reminder_poll_s: float = Field(default=15.0, gt=0)
    smtp_url: str | None = Field(default=None, repr=False)  # may carry a password

    @model_validator(mode="after")
    def _demo_sign_in_only_on_loopback(self) -> Settings:
        if self.dev_mode and not is_loopback(self.app_host):
            raise ValueError(
                f"refusing to enable the demo sign-in (APP_DEV_MODE=1) on APP_HOST="
                f"{self.app_host!r}: anyone who reaches that address could sign in as admin. "
                "Bind 127.0.0.1 or set APP_DEV_MODE=0."
            )
        return self

    @property
    def rasa_urls(self) -> list[str]:
        return [u.strip().rstrip("/") for u in self.rasa_url.split(",") if u.strip()]

    @property
    def pg_dir(self) -> Path:
        return self.data_dir / "pg"

    @property
    def patient_limits(self) -> PatientLimits:
        return PatientLimits(
            self.max_live_holds_per_patient, self.max_future_appointments_per_patient
        )

    @classmethod
    def from_env(cls) -> Settings:
        load_dotenv()
        env = os.environ
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            data_dir=Path(env.get("APP_DATA_DIR", str(REPO_ROOT / ".data"))),
            app_host=env.get("APP_HOST", LOOPBACK),
            app_port=int(env.get("APP_PORT", "8080")),
            actions_host=env.get("ACTIONS_HOST", LOOPBACK),
            jwt_secret=env.get("APP_JWT_SECRET", ""),
            jwt_ttl_s=int(env.get("APP_JWT_TTL_S", str(12 * 3600))),
            rasa_url=env.get("RASA_URL", "http://127.0.0.1:5005"),
            action_port=int(env.get("ACTION_PORT", "5055")),
            actions_slot_cache=_flag(env.get("ACTIONS_SLOT_CACHE", "1")),
            heartbeat_s=float(env.get("APP_HEARTBEAT_S", "30")),
            poll_interval_s=float(env.get("APP_POLL_INTERVAL_S", "2")),
            dev_mode=_flag(env.get("APP_DEV_MODE", "0")),
            log_level=env.get("LOG_LEVEL", "INFO"),
            metrics_public=_flag(env.get("APP_METRICS_PUBLIC", "0")),
            reminder_lead_h=float(env.get("APP_REMINDER_LEAD_H", "24")),
            reminder_poll_s=float(env.get("APP_REMINDER_POLL_S", "15")),
            smtp_url=env.get("APP_SMTP_URL") or None,
            chat_max_inflight=int(env.get("APP_CHAT_MAX_INFLIGHT", "8")),
            chat_start_deadline_s=float(env.get("APP_CHAT_START_DEADLINE_S", "1")),
            progress_file=Path(
                env.get("APP_PROGRESS_FILE", str(REPO_ROOT / "models" / ".progress.json"))
            ),
            write_rate_limit=int(env.get("APP_WRITE_RATE_LIMIT", "30")),
            write_rate_window_s=float(env.get("APP_WRITE_RATE_WINDOW_S", "60")),
            waitlist_offer_ttl_s=int(env.get("APP_WAITLIST_OFFER_TTL_S", "600")),
            max_live_holds_per_patient=int(env.get("APP_MAX_LIVE_HOLDS_PER_PATIENT", "2")),
            max_future_appointments_per_patient=int(
                env.get("APP_MAX_FUTURE_APPOINTMENTS_PER_PATIENT", "8")
            ),
        )
