"""Is the assistant there, and can it take one more turn? (`/api/chat` asks before forwarding.)

- Readiness: Rasa's root answers only once its model is loaded, so one cheap probe (cached for
  a moment) tells "ready" from "starting"; while `scripts/train.sh` trains, it keeps its
  progress in `models/.progress.json` (`APP_PROGRESS_FILE`; {"state": "training",
  "percent": ..}), which the
  widget shows ("training the model, 40 %"). Not ready → 503 at once with `Retry-After`.
- Load shedding: at most `max_inflight` turns in flight to Rasa and one per user; beyond that
  503 `assistant_busy` with `Retry-After` at once, instead of queueing requests whose callers
  would time out while Rasa still worked through them.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

PROBE_TIMEOUT = aiohttp.ClientTimeout(total=1.5, sock_connect=1)


@dataclass(frozen=True)
class Readiness:
    state: str  # ready | training | starting
    percent: int | None = None

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    def message(self) -> str:
        if self.state == "training":
            done = f" ({self.percent} %)" if self.percent is not None else ""
            return f"The assistant is starting: training its language model{done}."
        return "The assistant is starting; it will answer in a moment."

    def as_json(self) -> dict[str, Any]:
        return {"state": self.state, "percent": self.percent, "ready": self.ready}


def training_progress(path: Path) -> int | None:
    """The percent done of a training that is running now (None when none is)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("state") != "training":
        return None
    percent = data.get("percent")
    return int(percent) if isinstance(percent, int | float) else 0


class AssistantGate:
    """Readiness probe plus in-flight bounds; one per web app."""

    def __init__(
        self,
        rasa_url: str,
        *,
        max_inflight: int = 8,
        ready_ttl_s: float = 30.0,
        not_ready_ttl_s: float = 1.0,
        progress_file: Path,
    ) -> None:
        self.rasa_url = rasa_url.rstrip("/")
        self.max_inflight = max_inflight
        self.ready_ttl_s, self.not_ready_ttl_s = ready_ttl_s, not_ready_ttl_s
        self.progress_file = progress_file
        self._checked: tuple[float, Readiness] | None = None
        self._inflight: Counter[str] = Counter()
        self.shed = 0

    async def readiness(self, session: aiohttp.ClientSession) -> Readiness:
        now = time.monotonic()
        if self._checked:
            at, known = self._checked
            if now - at < (self.ready_ttl_s if known.ready else self.not_ready_ttl_s):
                return known
        known = await self._probe(session)
        self._checked = (now, known)
        return known

    def mark_unreachable(self) -> None:
        """A forward failed to connect: probe again on the next turn."""
        self._checked = None

    async def _probe(self, session: aiohttp.ClientSession) -> Readiness:
        try:
            async with session.get(f"{self.rasa_url}/", timeout=PROBE_TIMEOUT) as resp:
                if resp.status == 200:
                    return Readiness("ready")
        except (aiohttp.ClientError, TimeoutError):
            pass
        percent = training_progress(self.progress_file)
        return Readiness("training", percent) if percent is not None else Readiness("starting")

    @contextmanager
    def slot(self, user: str) -> Iterator[bool]:
        """Yields True with a turn slot held, False when the user or Rasa has no room."""
        total = sum(self._inflight.values())
        if self._inflight[user] >= 1 or total >= self.max_inflight:
            self.shed += 1
            yield False
            return
        self._inflight[user] += 1
        try:
            yield True
        finally:
            self._inflight[user] -= 1
            if self._inflight[user] <= 0:
                del self._inflight[user]
