"""Benchmark the time phrase resolver: utterances/s via the API and the CLI; accuracy on the
golden and hold-out files (tests/timeparse_*.json).

    .venv/bin/python bench/bench_timeparse.py [--n 20000]

Not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from timeparse_cases import GOLDEN, HOLDOUT, Answer, Case, Score, load, score  # noqa: E402

from chatbot.domain.timeparse import ClinicContext, resolve  # noqa: E402

NOW = "2024-05-17T09:00"
TZ = "Europe/Berlin"


def utterances(path: Path) -> list[str]:
    return [case.utterance for case in load(path)]


def bench_api(lines: list[str], rounds: int = 5) -> tuple[float, float]:
    """Utterances per wall-clock second and per CPU second of this process (one core), each
    the best of `rounds` passes over `lines`: the box is shared, and the best pass is the one
    least disturbed by other work."""
    now = datetime.fromisoformat(NOW).replace(tzinfo=ZoneInfo(TZ))
    wall = cpu = float("inf")
    for _ in range(rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        for line in lines:
            resolve(line, now)
        wall = min(wall, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - started_cpu)
    return len(lines) / wall, len(lines) / cpu


def bench_cli(lines: list[str]) -> float:
    command = [sys.executable, "-m", "chatbot.domain.timeparse", "--now", NOW, "--tz", TZ]
    started = time.perf_counter()
    done = subprocess.run(
        command, input="\n".join(lines) + "\n", capture_output=True, text=True, cwd=ROOT
    )
    elapsed = time.perf_counter() - started
    assert done.returncode == 0 and len(done.stdout.splitlines()) == len(lines), done.stderr
    return len(lines) / elapsed


def accuracy(path: Path) -> Score:
    """Exact date/time/window matches of the resolver on one case file."""

    def answer(case: Case) -> Answer:
        got = resolve(case.utterance, case.now, options=ClinicContext(locale=case.locale))
        shown = got.to_json()
        return Answer(shown["date"], shown["time"], got.start, got.end, bool(got.error))

    return score(load(path), answer)


def repeated(path: Path, n: int) -> list[str]:
    base = utterances(path)
    return (base * (n // len(base) + 1))[:n]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000, help="utterances per run")
    args = parser.parse_args()
    print("# load average " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    for name, path in (("golden", GOLDEN), ("hold-out", HOLDOUT)):
        lines = repeated(path, args.n // 5)
        bench_api(lines[:500], rounds=1)  # warm caches
        wall, cpu = bench_api(lines)
        print(
            f"API : {wall:,.0f} utterances/s wall, {cpu:,.0f} per CPU second "
            f"({name} utterances, best of 5 x {len(lines)}, one process)"
        )
    lines = repeated(GOLDEN, args.n)
    rate = bench_cli(lines)
    print(f"CLI : {rate:,.0f} utterances/s (piping {len(lines)} golden lines, incl. start-up)")
    for name, path in (("golden", GOLDEN), ("hold-out", HOLDOUT)):
        result = accuracy(path)
        print(f"{name} accuracy: {result.summary()}")
        for line in result.wrong:
            print("  wrong:", line)


if __name__ == "__main__":
    main()
