"""Turn `rasa train` output into honest progress: one line per 10 % of the DIET epochs with
elapsed time and an estimate, no third-party warning walls. Writes `models/.progress.json`
(read by the web app's `/api/chat/status`, so the chat widget can show it) and keeps the full
output in `models/train.log` for when something goes wrong (errors are echoed too).

    rasa train ... 2>&1 | python scripts/train_progress.py
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

MODELS = Path(__file__).resolve().parents[1] / "models"
EPOCHS = re.compile(r"Epochs:\s+(\d+)%\|.*?\|\s*(\d+)/(\d+)")
LOUD = re.compile(r"Traceback|Error|error:|Exception|Your Rasa model is trained")


def write_progress(state: str, percent: int) -> None:
    tmp = MODELS / ".progress.json.tmp"
    tmp.write_text(json.dumps({"state": state, "percent": percent}))
    tmp.replace(MODELS / ".progress.json")


def _pieces(stream: BinaryIO) -> Iterator[str]:
    """The output cut at every newline *and* carriage return, as soon as it arrives: tqdm
    redraws its bar with "\r" and ends the line only when the bar is done."""
    pending = b""
    while chunk := stream.read1(4096) if hasattr(stream, "read1") else stream.read(4096):
        pending += chunk
        *done, pending = re.split(rb"[\r\n]", pending)
        for piece in done:
            if piece.strip():
                yield piece.decode("utf-8", "replace")
    if pending.strip():
        yield pending.decode("utf-8", "replace")


def main() -> int:
    MODELS.mkdir(exist_ok=True)
    started, shown = time.monotonic(), -10
    epochs_from: float | None = None  # when the first epoch line came (featurising before it)
    write_progress("training", 0)
    with (MODELS / "train.log").open("w") as log:
        for line in _pieces(sys.stdin.buffer):
            log.write(line + "\n")
            found = EPOCHS.search(line)
            if found is None:
                if LOUD.search(line):
                    print(line.rstrip(), file=sys.stderr, flush=True)
                continue
            percent, epoch, total = (int(g) for g in found.groups())
            write_progress("training", percent)
            now = time.monotonic()
            epochs_from = now if epochs_from is None else epochs_from
            if percent >= shown + 10:
                shown = percent - percent % 10
                elapsed = now - started
                # the estimate extrapolates the epochs' own pace, not the set-up before them
                left = (now - epochs_from) * (100 - percent) / percent if percent else 0
                print(
                    f"==> training: {percent:3d} % (epoch {epoch}/{total}), "
                    f"{elapsed:.0f} s elapsed, ~{left:.0f} s left",
                    file=sys.stderr,
                    flush=True,
                )
    write_progress("done", 100)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
