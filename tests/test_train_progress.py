"""`scripts/train_progress.py`: rasa's tqdm output becomes progress lines and a progress file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from chatbot.config import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "train_progress.py"


def test_epoch_bars_become_ten_percent_lines_and_warnings_stay_in_the_log(tmp_path: Path) -> None:
    bars = "".join(
        f"\rEpochs: {p:3d}%|#####| {p * 80 // 100}/80 [00:01<00:01, 3.5it/s, t_loss=1.2]"
        for p in range(0, 101, 5)
    )
    text = (
        "/x/matplotlib/fontconfig_pattern.py:127: PyparsingDeprecationWarning: 'parseString'\n"
        f"{bars}\n"
        "Your Rasa model is trained and saved at 'models/dental.tar.gz'.\n"
    )
    code = (
        "import runpy, sys, pathlib; sys.argv = ['x']; "
        f"mod = runpy.run_path({str(SCRIPT)!r}, run_name='progress'); "
        f"mod['MODELS'] = pathlib.Path({str(tmp_path)!r}); "
        "mod['main'].__globals__['MODELS'] = mod['MODELS']; raise SystemExit(mod['main']())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], input=text, capture_output=True, text=True, check=True
    )
    lines = done.stderr.splitlines()
    progress = [line for line in lines if line.startswith("==> training:")]
    assert [int(line.split()[2]) for line in progress] == list(range(0, 101, 10))
    assert "epoch 80/80" in progress[-1]
    assert not any("Warning" in line for line in lines)  # the wall stays in the log
    assert "PyparsingDeprecationWarning" in (tmp_path / "train.log").read_text()
    assert json.loads((tmp_path / ".progress.json").read_text()) == {
        "state": "done",
        "percent": 100,
    }
