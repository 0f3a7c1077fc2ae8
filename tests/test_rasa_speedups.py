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


EVENTS_SCRIPT = """
import json
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.utils.common import all_subclasses
stock = Event.resolve_by_type
import rasa_ext  # installs the cached look-up
def outcome(resolve, name, default=None):
    try:
        found = resolve(name, default)
    except ValueError as error:
        return "ValueError: " + str(error)
    return None if found is None else found.__name__
names = sorted({c.type_name for c in all_subclasses(Event)})
cases = [(n, None) for n in names * 2] + [("topic", None), ("nope", None), ("nope", UserUttered)]
print(json.dumps({
    "patched": Event.resolve_by_type is not stock,
    "names": len(names),
    "stock": [outcome(stock, n, d) for n, d in cases],
    "cached": [outcome(Event.resolve_by_type, n, d) for n, d in cases],
}))
"""


def test_cached_event_classes_match_rasas_own_lookup() -> None:
    """Every event name resolves to the class Rasa's scan finds, twice (the second time from
    the cache); `topic`, an unknown name with and without a default behave as in Rasa."""
    result = rasa_python_json("-c", EVENTS_SCRIPT)
    assert result["patched"]
    assert result["names"] > 20
    assert result["cached"] == result["stock"]
    assert result["stock"][-3:] == [None, "ValueError: Unknown event name 'nope'.", "UserUttered"]
