"""CLI: `python -m chatbot.domain.timeparse --now 2024-05-17T09:00 --tz Europe/Berlin`.

Reads one utterance per line on stdin, writes one JSON object per line:
{"date", "time", "start", "end", "error"}. `--now` without an offset is read in `--tz`.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from .options import ClinicContext
from .resolver import resolve


def parse_now(text: str | None, zone: ZoneInfo) -> datetime:
    if not text:
        return datetime.now(zone)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    now = datetime.fromisoformat(text)
    if now.tzinfo is None:
        return now.replace(tzinfo=zone)
    return now.astimezone(zone)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chatbot.domain.timeparse")
    parser.add_argument("--now", help="ISO datetime; default: the current time")
    parser.add_argument("--tz", default="UTC", help="IANA zone, e.g. Europe/Berlin")
    parser.add_argument("--locale", choices=("dmy", "mdy"), default="dmy")
    args = parser.parse_args(argv)
    zone = ZoneInfo(args.tz)
    now = parse_now(args.now, zone)
    options = ClinicContext(locale=args.locale)
    out = sys.stdout
    for line in sys.stdin:
        result = resolve(line.rstrip("\n"), now, options=options)
        out.write(json.dumps(result.to_json()) + "\n")
        if out.isatty():
            out.flush()  # interactive use: answer each line at once
    return 0


if __name__ == "__main__":
    sys.exit(main())
