"""Benchmark the time phrase resolver: utterances/s via the API and the CLI, golden accuracy.

    .venv/bin/python bench/bench_timeparse.py [--n 20000]

Not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chatbot.domain.timeparse import ClinicContext, resolve  # noqa: E402

GOLDEN = ROOT / "tests" / "timeparse_golden.json"
NOW = "2024-05-17T09:00"
TZ = "Europe/Berlin"


def golden_groups() -> list[dict]:
    return json.loads(GOLDEN.read_text())["groups"]


def utterances() -> list[str]:
    return [case[0] for group in golden_groups() for case in group["cases"]]


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


def _same(want: str | None, got: datetime | None, zone: ZoneInfo) -> bool:
    if want is None or got is None:
        return want is None and got is None
    value = datetime.fromisoformat(want)
    value = value if value.tzinfo else value.replace(tzinfo=zone)
    utc = timezone.utc
    return value.astimezone(utc) == got.astimezone(utc) and value.utcoffset() == got.utcoffset()


def golden_accuracy() -> tuple[int, int, list[str]]:
    right, total, wrong = 0, 0, []
    for group in golden_groups():
        zone = ZoneInfo(group["tz"])
        now = datetime.fromisoformat(group["now"]).replace(tzinfo=zone)
        options = ClinicContext(locale=group.get("locale", "dmy"))
        for utterance, *want in group["cases"]:
            total += 1
            got = resolve(utterance, now, options=options)
            if want == ["error"]:
                ok = bool(got.error) and got.start is None
            else:
                shown = got.to_json()
                ok = (
                    got.error is None
                    and [shown["date"], shown["time"]] == want[:2]
                    and _same(want[2], got.start, zone)
                    and _same(want[3], got.end, zone)
                )
            right += ok
            if not ok:
                wrong.append(f"{group['now']} {group['tz']}: {utterance!r} -> {got.to_json()}")
    return right, total, wrong


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000, help="utterances per run")
    args = parser.parse_args()
    base = utterances()
    lines = (base * (args.n // len(base) + 1))[: args.n]
    bench_api(lines[:500])  # warm caches
    print(f"API : {bench_api(lines):,.0f} utterances/s ({len(lines)} utterances, one process)")
    print(f"CLI : {bench_cli(lines):,.0f} utterances/s (piping {len(lines)} lines, incl. start-up)")
    right, total, wrong = golden_accuracy()
    print(f"golden accuracy: {right}/{total}")
    for line in wrong:
        print("  wrong:", line)


if __name__ == "__main__":
    main()
