"""Bot reply latency for booking turns (not a test): starts the whole stack (or uses
RASA_URL/APP_JWT_SECRET of a running `make run` with --running), then times N booking turns
straight to Rasa's REST channel: "book a checkup ... <day>" (NLU + form + slot search) and the
slot pick (hold). Prints p50/p95/max in ms, excluding the first (warm-up) turn.

    .venv/bin/python bench/bench_bot.py [--turns 40]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from stack import Stack, running_stack

DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday"]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _turn(stack: Stack, sender: str, text: str, token: str) -> tuple[float, list[dict]]:
    started = time.perf_counter()
    replies = stack.rasa_rest(sender, text, {"token": token})
    return (time.perf_counter() - started) * 1000, replies


def bench(stack: Stack, turns: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"ask (NLU + form + slot search)": [], "pick (hold)": []}
    token = stack.turn_token("patient", 1)  # what the gateway sends: only actions accept it
    for i in range(turns + 1):
        sender = f"bench-{i}-{time.time_ns()}"
        ask_ms, replies = _turn(
            stack, sender, f"book a checkup with anyone {DAYS[i % 5]} morning", token
        )
        payloads = [b["payload"] for r in replies for b in r.get("buttons") or []]
        if not payloads:
            continue
        pick_ms, _ = _turn(stack, sender, payloads[i % len(payloads)], token)
        _turn(stack, sender, "/stop", token)  # release the hold
        if i:  # the first turn warms caches and the model
            timings["ask (NLU + form + slot search)"].append(ask_ms)
            timings["pick (hold)"].append(pick_ms)
    return timings


@contextlib.contextmanager
def _stack(running: bool) -> Iterator[Stack]:
    if running:
        import os

        from chatbot.config import load_dotenv

        load_dotenv()
        url = os.environ.get("RASA_URL", "http://127.0.0.1:5005")
        yield Stack(
            "", url, "", os.environ.get("DATABASE_URL", ""), os.environ["APP_JWT_SECRET"], Path(".")
        )
        return
    with tempfile.TemporaryDirectory() as tmp, running_stack(Path(tmp)) as started:
        yield started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--running", action="store_true", help="use a running `make run`")
    args = parser.parse_args()
    with _stack(args.running) as stack:
        timings = bench(stack, args.turns)
    for name, values in timings.items():
        if values:
            print(
                json.dumps(
                    {
                        "turn": name,
                        "n": len(values),
                        "p50_ms": round(statistics.median(values), 1),
                        "p95_ms": round(_pct(values, 0.95), 1),
                        "max_ms": round(max(values), 1),
                    }
                )
            )


if __name__ == "__main__":
    main()
