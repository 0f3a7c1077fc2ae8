"""Run test workers on threads released together, with a bound on every wait.

A race test must fail, never hang: a worker that dies before the start line breaks the barrier
(the others get BrokenBarrierError instead of waiting forever), and a worker still running at
the deadline fails the test with every stuck thread's stack. The threads are daemons, so a stuck
one cannot keep the test process alive either.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

DEADLINE_S = 90.0


def run_together(
    target: Callable[[int, Callable[[], None]], T], n: int, *, deadline_s: float = DEADLINE_S
) -> list[T]:
    """Run target(i, start) for i in 0..n-1, each on its own thread; return the results in order.

    Every worker calls `start()` once it is ready (connected, say): all pass it together. An
    exception a worker lets out is re-raised here after every thread has finished.
    """
    barrier = threading.Barrier(n)
    results: dict[int, T] = {}
    errors: dict[int, BaseException] = {}

    def start() -> None:
        barrier.wait(deadline_s)

    def run(i: int) -> None:
        try:
            results[i] = target(i, start)
        except BaseException as exc:  # reported below, in the test's thread
            errors[i] = exc
            barrier.abort()  # nobody waits for a worker that will never arrive

    threads = [
        threading.Thread(target=run, args=(i,), name=f"racer-{i}", daemon=True) for i in range(n)
    ]
    for thread in threads:
        thread.start()
    ends = time.monotonic() + deadline_s
    for thread in threads:
        thread.join(max(0.0, ends - time.monotonic()))
    stuck = [t for t in threads if t.is_alive()]
    if stuck:
        raise AssertionError(
            f"{len(stuck)} of {n} workers still running after {deadline_s:.0f} s:\n" + stacks(stuck)
        )
    if errors:
        # The cause, not the workers it left waiting at a broken start line.
        causes = [i for i, e in errors.items() if not isinstance(e, threading.BrokenBarrierError)]
        first = min(causes or errors)
        raise AssertionError(f"{len(errors)} of {n} workers failed; worker {first}:") from errors[
            first
        ]
    return [results[i] for i in range(n)]


def stacks(threads: list[threading.Thread]) -> str:
    frames = sys._current_frames()
    out = []
    for thread in threads:
        frame = frames.get(thread.ident or -1)
        where = "".join(traceback.format_stack(frame)) if frame else "  (no frame)\n"
        out.append(f"--- {thread.name}\n{where}")
    return "".join(out)
