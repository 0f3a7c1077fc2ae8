"""Benchmark the time phrase resolver: utterances/s via the API and the CLI; accuracy on the
golden and hold-out files (tests/timeparse_*.json).

    .venv/bin/python bench/bench_timeparse.py [--n 20000]

Not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
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


def bench_api(lines: list[str]) -> float:
    now = datetime.fromisoformat(NOW).replace(tzinfo=ZoneInfo(TZ))
    started = time.perf_counter()
    for line in lines:
        resolve(line, now)
    return len(lines) / (time.perf_counter() - started)


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
    for name, path in (("golden", GOLDEN), ("hold-out", HOLDOUT)):
        lines = repeated(path, args.n)
        bench_api(lines[:500])  # warm caches
        rate = bench_api(lines)
        print(f"API : {rate:,.0f} utterances/s ({len(lines)} {name} utterances, one process)")
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
