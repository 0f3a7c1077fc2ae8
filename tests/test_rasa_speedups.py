"""The cached action-response validator (rasa_ext/speedups.py) accepts and rejects exactly
what Rasa's own `jsonschema.validate` call does, with the same error message."""

from __future__ import annotations

import pytest
from rasa_support import RASA_PY, rasa_python_json

pytestmark = pytest.mark.skipif(not RASA_PY.exists(), reason="no Rasa virtualenv")

SCRIPT = """
import json
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
stock = RemoteAction._validate_action_result
import rasa_ext  # installs the cached validator
action = RemoteAction("validate_booking_form", None)
results = [
    {"events": [{"event": "slot", "name": "when", "value": "x"}], "responses": [{"text": "ok"}]},
    {"events": [{"event": "slot", "name": "when", "value": "x", "timestamp": "noon"}]},
    {"events": [{"event": "no_such_event"}], "responses": []},
    {"events": "not a list"},
    {"responses": [3]},
]
def outcome(check, result):
    try:
        return check(action, result)
    except ValidationError as error:
        return error.message
print(json.dumps({
    "patched": RemoteAction._validate_action_result is not stock,
    "stock": [outcome(stock, r) for r in results],
    "cached": [outcome(RemoteAction._validate_action_result, r) for r in results],
}))
"""


def test_cached_validator_matches_rasas_own() -> None:
    result = rasa_python_json("-c", SCRIPT)
    assert result["patched"]
    assert result["cached"] == result["stock"]
    assert result["stock"][0] is True
    assert all(isinstance(message, str) for message in result["stock"][1:])  # all rejected
