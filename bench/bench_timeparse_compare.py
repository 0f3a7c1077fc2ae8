"""The resolver next to `dateparser` and Microsoft Recognizers-Text on the same case files.

    .venv/bin/uv pip install --python .venv/bin/python -e '.[compare]'   # once
    .venv/bin/python bench/bench_timeparse_compare.py [--show-misses NAME]

Prints, per file (golden, hold-out; --blind adds the blind file, --explore the exploration
set) and resolver, exact-match accuracy of date, time and window (start and end) and
utterances per CPU second through each adapter (one process, one core).
The adapters (bench/timeparse_adapters.py) apply the contract's conventions for the
libraries. A library that is not installed is reported and skipped. Not a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from timeparse_adapters import dateparser_adapter, recognizers_adapter  # noqa: E402
from timeparse_cases import BLIND, EXPLORE, GOLDEN, HOLDOUT, Answer, Case, Score, load  # noqa: E402

from chatbot.domain.timeparse import ClinicContext, resolve  # noqa: E402


def ours() -> Callable[[Case], Answer]:
    def answer(case: Case) -> Answer:
        got = resolve(case.utterance, case.now, options=ClinicContext(locale=case.locale))
        shown = got.to_json()
        return Answer(shown["date"], shown["time"], got.start, got.end, bool(got.error))

    return answer


RESOLVERS: dict[str, Callable[[], Callable[[Case], Answer]]] = {
    "timeparse (ours)": ours,
    "dateparser": dateparser_adapter,
    "recognizers-text": recognizers_adapter,
}


def run(answer: Callable[[Case], Answer], cases: list[Case]) -> tuple[Score, float]:
    """Accuracy, and utterances per CPU second (one core) of a second pass (the first one
    warms caches); CPU time, not wall time, because the box is shared."""
    result = Score()
    for case in cases:
        result.add(case, answer(case))
    started = time.process_time()
    for case in cases:
        answer(case)
    return result, len(cases) / (time.process_time() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--show-misses", metavar="NAME", help="print one resolver's misses")
    parser.add_argument("--blind", action="store_true", help="also score the blind file")
    parser.add_argument("--explore", action="store_true", help="also score the exploration set")
    args = parser.parse_args()
    files = [("golden", GOLDEN), ("hold-out", HOLDOUT)] + ([("blind", BLIND)] if args.blind else [])
    files += [("explore", EXPLORE)] if args.explore else []
    adapters: dict[str, Callable[[Case], Answer]] = {}
    for name, make in RESOLVERS.items():
        try:
            adapters[name] = make()
        except ImportError as error:
            print(f"{name}: skipped ({error}; install the 'compare' extra)")
    print("# load average " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(
        f"{'file':<9} {'resolver':<17} {'date':>13} {'time':>13} {'window':>13} {'utt/cpu-s':>10}"
    )
    for label, path in files:
        cases = load(path)
        for name, answer in adapters.items():
            result, rate = run(answer, cases)
            cells = [f"{getattr(result, f)}/{result.total} {result.rate(f):.3f}" for f in FIELDS]
            print(
                f"{label:<9} {name:<17} {cells[0]:>13} {cells[1]:>13} {cells[2]:>13} {rate:>10,.0f}"
            )
            if args.show_misses and args.show_misses in name:
                for line in result.wrong:
                    print("    miss:", line)


FIELDS = ("date", "time", "window")

if __name__ == "__main__":
    main()
