"""Counters and commit→send latency percentiles for `/api/realtime/stats`."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, deque
from typing import Any


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an already sorted list (None when empty)."""
    if not sorted_values:
        return None
    rank = max(0, min(len(sorted_values) - 1, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]


class Stats:
    """In-process metrics. Latency = socket send time - the outbox row's `created_at`
    (drawn inside the writing transaction, i.e. just before its commit)."""

    def __init__(self, window: int = 10_000) -> None:
        self.counters: Counter[str] = Counter()
        self._latencies_ms: deque[float] = deque(maxlen=window)
        self.started_at = dt.datetime.now(dt.timezone.utc)

    def incr(self, name: str, n: int = 1) -> None:
        self.counters[name] += n

    def record_send(self, occurred_at: dt.datetime) -> None:
        self.counters["events_sent"] += 1
        self._latencies_ms.append((time.time() - occurred_at.timestamp()) * 1000.0)

    def latency_summary(self) -> dict[str, Any]:
        values = sorted(self._latencies_ms)
        return {
            "samples": len(values),
            **{f"p{q}": _round(percentile(values, q)) for q in (50, 95, 99)},
            "max": _round(values[-1] if values else None),
        }


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 2)
