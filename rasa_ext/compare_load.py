"""Parse the same messages with the model loaded by Rasa's own DIET loader and by ours.

    .venv-rasa/bin/python -m rasa_ext.compare_load models/dental.tar.gz stock|fast MESSAGE...

Prints one JSON line: per message the intent ranking and the entities (rounded to 1e-5), and the
load time in seconds. tests/test_rasa_project.py runs both modes and compares the parses.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from rasa.core.agent import load_agent
from rasa.nlu.classifiers.diet_classifier import DIET

from rasa_ext.diet import FastLoadDIETClassifier


def summary(parse: dict[str, Any]) -> dict[str, Any]:
    return {
        "ranking": [[r["name"], round(r["confidence"], 5)] for r in parse["intent_ranking"][:5]],
        "entities": [[e["entity"], e["value"], e["start"], e["end"]] for e in parse["entities"]],
    }


async def main(model: str, mode: str, messages: list[str]) -> None:
    if mode == "stock":
        FastLoadDIETClassifier.model_class = staticmethod(lambda: DIET)  # type: ignore[method-assign]
    start = time.perf_counter()
    agent = await load_agent(model_path=model)
    seconds = time.perf_counter() - start
    parses = [summary(await agent.parse_message(m)) for m in messages]
    print(json.dumps({"load_s": round(seconds, 1), "parses": parses}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
