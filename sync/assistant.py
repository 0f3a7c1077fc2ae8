"""Is the assistant there, and can it take one more turn? (`/api/chat` asks before forwarding.)

- Readiness: Rasa's root answers only once its model is loaded, so one cheap probe (cached for
  a moment) tells "ready" from "starting"; while `scripts/train.sh` trains, it keeps its
  progress in `models/.progress.json` (`APP_PROGRESS_FILE`; {"state": "training",
  "percent": ..}), which the
  widget shows ("training the model, 40 %"). Not ready → 503 at once with `Retry-After`.
- Load shedding: at most `max_inflight` turns in flight to each Rasa server and one per user;
  beyond that 503 `assistant_busy` with `Retry-After` at once, instead of queueing requests
  whose callers would time out while Rasa still worked through them.
- The bound adapts (additive increase, multiplicative decrease, as TCP's congestion window):
  a turn answered later than `target_s` shrinks a server's limit by a fifth, a quicker one
  grows it by 1/limit, between 1 and `max_inflight`. Turns wait for Rasa's one core behind the
  ones in flight, so on a slow or shared machine fewer of them may be in flight for answers to
  stay under a second; the rest get 503 at once.
- Several Rasa servers (`RASA_URL` comma-separated): each turn goes to the ready server with
  the fewest turns in flight. Any server may take any turn: the tracker is in SQL, Rasa saves
  it before it answers, and one user never has two turns in flight, so no two servers hold
  the same conversation at once (with several web app instances, use a shared lock store:
  docs/scaling.md).
"""

from __future__ import annotations

import json
import time
import zlib
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
        target_s: float = 0.8,
    ) -> None:
        self.rasa_url = rasa_url.rstrip("/")
        self.max_inflight = max_inflight
        self.limit = float(max_inflight)
        self.target_s = target_s
        self.ready_ttl_s, self.not_ready_ttl_s = ready_ttl_s, not_ready_ttl_s
        self.progress_file = progress_file
        self._checked: tuple[float, Readiness] | None = None
        self.inflight = 0

    async def readiness(self, session: aiohttp.ClientSession) -> Readiness:
        now = time.monotonic()
        if self._checked:
            at, known = self._checked
            if now - at < (self.ready_ttl_s if known.ready else self.not_ready_ttl_s):
                return known
        known = await self._probe(session)
        self._checked = (now, known)
        return known

    def admits(self) -> bool:
        return self.inflight < max(1, int(self.limit))

    def record(self, seconds: float) -> None:
        """How long a turn on this server took, from the gateway's side (a refused-as-late
        turn counts as slow)."""
        if seconds > self.target_s:
            self.limit = max(1.0, self.limit * 0.8)
        else:
            self.limit = min(float(self.max_inflight), self.limit + 1 / self.limit)

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


class AssistantPool:
    """The gates of every Rasa server plus the per-user bound; one per web app."""

    def __init__(self, rasa_urls: list[str], *, max_inflight: int = 8, **gate: Any) -> None:
        self.gates = [AssistantGate(url, max_inflight=max_inflight, **gate) for url in rasa_urls]
        self._users: Counter[str] = Counter()
        self.shed = 0

    def by_preference(self, user: str, gates: list[AssistantGate]) -> list[AssistantGate]:
        """Fewest turns in flight first, then a stable per-user order (so one user's turns
        stay on one server while the load is even)."""
        first = zlib.crc32(user.encode()) % len(gates)
        return sorted(gates[first:] + gates[:first], key=lambda gate: gate.inflight)

    async def choose(
        self, user: str, session: aiohttp.ClientSession
    ) -> tuple[AssistantGate, Readiness]:
        """The server for this turn and its readiness (the first one's when none is ready).
        The pick itself happens after the last await, so a `slot` taken right after it sees
        the same in-flight counts."""
        known = [(gate, await gate.readiness(session)) for gate in self.gates]
        ready = [gate for gate, readiness in known if readiness.ready]
        if not ready:
            return known[0]
        return self.by_preference(user, ready)[0], Readiness("ready")

    @contextmanager
    def slot(self, user: str, gate: AssistantGate) -> Iterator[bool]:
        """Yields True with a turn slot on `gate` held, False when the user or it has no room."""
        if self._users[user] >= 1 or not gate.admits():
            self.shed += 1
            yield False
            return
        self._users[user] += 1
        gate.inflight += 1
        try:
            yield True
        finally:
            gate.inflight -= 1
            self._users[user] -= 1
            if self._users[user] <= 0:
                del self._users[user]
