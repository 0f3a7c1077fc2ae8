"""NLU pipeline variants: training time against hold-out quality, measured in one run.

    .venv/bin/python bench/bench_nlu_configs.py [--variants base,epochs50,...] [--repeat 1]

Each variant is config.yml with a few DIET/featuriser settings changed. For every variant the
bench trains the NLU part only (`rasa train nlu`; the dialogue policies train in ~10 s whatever
the pipeline) into a scratch directory, then evaluates the model on the hold-out
(tests/nlu_holdout/holdout.yml, never trained on) exactly as tests/test_nlu_holdout.py does and
prints wall and CPU seconds of the training next to intent accuracy, macro F1 and
treatment/dentist entity F1. Only
these aggregate numbers are printed: the hold-out's individual errors are not for tuning.
The load average is printed too: other processes on the cores slow every variant alike.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from test_nlu_holdout import HOLDOUT, examples, load_yaml, summarise  # noqa: E402

RASA = ROOT / ".venv-rasa" / "bin" / "rasa"


def _diet(pipeline: list[dict[str, Any]]) -> dict[str, Any]:
    return next(c for c in pipeline if c["name"].endswith("DIETClassifier"))


def _char_ngrams(pipeline: list[dict[str, Any]]) -> dict[str, Any]:
    return next(c for c in pipeline if c.get("analyzer") == "char_wb")


def _set(getter: Any, **values: Any) -> Any:
    def apply(pipeline: list[dict[str, Any]]) -> None:
        getter(pipeline).update(values)

    return apply


VARIANTS: dict[str, Any] = {
    "base": lambda p: None,
    "epochs60": _set(_diet, epochs=60),
    "epochs50": _set(_diet, epochs=50),
    "epochs40": _set(_diet, epochs=40),
    "char2-5": _set(_char_ngrams, min_ngram=2),
    "char1-4": _set(_char_ngrams, max_ngram=4),
    "batch128": _set(_diet, batch_size=[128, 256]),
    "no-transformer": _set(_diet, number_of_transformer_layers=0),
    "epochs50-batch128": _set(_diet, epochs=50, batch_size=[128, 256]),
}


def variant_config(name: str) -> dict[str, Any]:
    config = copy.deepcopy(load_yaml(ROOT / "config.yml"))
    VARIANTS[name](config["pipeline"])
    return config


def run(cmd: list[str], timeout: int = 1800) -> None:
    env = os.environ | {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env)
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd[:3])} failed:\n{done.stderr[-2000:]}")


def measure(name: str, scratch: Path) -> dict[str, Any]:
    config = scratch / f"{name}.yml"
    config.write_text(json.dumps(variant_config(name), indent=1))  # JSON is YAML
    load_before = os.getloadavg()[0]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    train = ["train", "nlu", "--config", str(config), "--out", str(scratch)]
    run([str(RASA), *train, "--fixed-model-name", name])
    seconds = time.perf_counter() - start
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = cpu.ru_utime + cpu.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime
    out = scratch / f"{name}-results"
    model = str(scratch / f"{name}.tar.gz")
    test = ["test", "nlu", "--nlu", str(HOLDOUT), "--model", model, "--out", str(out)]
    run([str(RASA), *test, "--no-plot", "--successes"])
    summary = summarise(out, sorted(examples(HOLDOUT)))
    return {
        "variant": name,
        "train_s": round(seconds, 1),
        "cpu_s": round(cpu_s, 1),
        "load": round(load_before, 1),
    } | {k: summary[k] for k in ("intent_accuracy", "macro_f1", "treatment_f1", "dentist_f1")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default="base,epochs50,char2-5,batch128")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    names = [n for n in args.variants.split(",") for _ in range(args.repeat)]
    unknown = set(names) - set(VARIANTS)
    if unknown:
        raise SystemExit(f"unknown variants {sorted(unknown)}; known: {sorted(VARIANTS)}")
    columns = ["variant", "train wall s", "train CPU s", "load", "intent acc", "macro F1"]
    print(" | ".join([*columns, "treatment F1", "dentist F1"]))
    with tempfile.TemporaryDirectory(prefix="nlu-bench-") as tmp:
        for name in names:
            r = measure(name, Path(tmp))
            keys = ("intent_accuracy", "macro_f1", "treatment_f1", "dentist_f1")
            scores = [f"{r[k]:.3f}" for k in keys]
            cells = [r["variant"], r["train_s"], r["cpu_s"], r["load"], *scores]
            print(" | ".join(map(str, cells)), flush=True)


if __name__ == "__main__":
    main()
