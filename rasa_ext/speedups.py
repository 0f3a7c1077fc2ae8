"""Rasa 3.6 work per turn that does not need to be redone each turn.

`RemoteAction._validate_action_result` checks every action server response with
`jsonschema.validate(result, schema)`, and `validate` first checks the *schema* against the
JSON Schema meta-schema (`check_schema`) and builds a new validator. The schema is a constant
(`RemoteAction.action_response_format_spec()`), and with jsonschema 4.17 that meta-check walks
Rasa's large events schema: profiled at ~60 % of a booking turn's time in Rasa
(docs/benchmarks.md, bench/bench_turn_profile.py). Here the schema is checked once and the
validator kept; each response is still validated in full, and an invalid one raises the same
`ValidationError` (jsonschema's `best_match`, with Rasa's hint appended) as before.

`Event.resolve_by_type` (every event read from the tracker store or an action's response)
walks all subclasses of `Event`, with `inspect.isabstract` on each, to find the one class
with that `type_name`: ~0.05-0.1 ms per event, i.e. 3-6 ms to rebuild a 60-event window
(profiled at 5,000 events, docs/benchmarks.md). Here the first class found for a name is kept;
a name not found yet is looked up again (a module imported later may define it), and an
unknown name still returns `default` or raises as Rasa does.
"""

from __future__ import annotations

import functools
from typing import Any

from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

HINT = (
    ". Failed to validate Action server response from API, make sure your response from the "
    "Action endpoint is valid. For more information about the format visit "
)


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    from jsonschema import validators

    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    from jsonschema import exceptions
    from rasa.shared.constants import DOCS_BASE_URL

    error = exceptions.best_match(_validator().iter_errors(result))
    if error is not None:
        error.message += f"{HINT}{DOCS_BASE_URL}/custom-actions"
        raise error
    return True


_rasa_resolve_by_type = Event.resolve_by_type
_event_classes: dict[str, type[Event]] = {}


def _resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    found = _event_classes.get(type_name)
    if found is None:
        found = next((c for c in all_subclasses(Event) if c.type_name == type_name), None)
        if found is None:
            return _rasa_resolve_by_type(type_name, default)  # `topic`, default or ValueError
        _event_classes[type_name] = found
    return found


def install() -> None:
    """Idempotent; rasa_ext/__init__.py calls it, so any Rasa that loads our tracker store or
    channel gets it."""
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[method-assign,assignment]
