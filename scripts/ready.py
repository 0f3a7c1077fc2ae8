"""Print one line when the pages answer and one when the whole stack (web app, action server,
Rasa with its model) answers, with the time since `make run` started. Run in the background by
scripts/run.sh; exits after the second line (or after 30 minutes)."""

from __future__ import annotations

import sys
import time
import urllib.request


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def main(web: str, actions: str, rasa: str) -> int:
    started = time.monotonic()
    pages_said = False
    while time.monotonic() - started < 1800:
        if not pages_said and answers(f"{web}/api/realtime/health"):
            pages_said = True
            print(
                f"==> pages ready after {time.monotonic() - started:.0f} s: {web}/ "
                "(the assistant is still starting)",
                file=sys.stderr,
                flush=True,
            )
        if pages_said and answers(f"{actions}/health") and answers(f"{rasa}/"):
            print(
                f"==> ready after {time.monotonic() - started:.0f} s: chat {web}/ · "
                f"dentist {web}/dentist · admin {web}/admin",
                file=sys.stderr,
                flush=True,
            )
            return 0
        time.sleep(1)
    return 1


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:4]))
