"""The race-test runner fails instead of hanging."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from concurrency_support import run_together


def test_workers_start_together_and_results_keep_their_order() -> None:
    arrived: list[int] = []

    def worker(i: int, start: Callable[[], None]) -> int:
        arrived.append(i)
        start()
        assert len(arrived) == 4  # nobody passes the start line before everyone reached it
        return i * i

    assert run_together(worker, 4) == [0, 1, 4, 9]


def test_a_worker_that_dies_before_the_start_line_fails_the_run_quickly() -> None:
    def worker(i: int, start: Callable[[], None]) -> None:
        if i == 2:
            raise ConnectionError("too many clients")
        start()

    with pytest.raises(AssertionError, match="workers failed") as failed:
        run_together(worker, 5, deadline_s=30)
    assert isinstance(failed.value.__cause__, ConnectionError)


@pytest.mark.real_timers  # the deadline is a timed thread wait
def test_a_stuck_worker_fails_the_run_with_its_stack() -> None:
    release = threading.Event()

    def worker(i: int, start: Callable[[], None]) -> None:
        start()
        if i == 0:
            release.wait(30)  # stuck well past the deadline

    try:
        with pytest.raises(AssertionError, match=r"1 of 3 workers still running") as failed:
            run_together(worker, 3, deadline_s=0.5)
        assert "release.wait" in str(failed.value)
    finally:
        release.set()
