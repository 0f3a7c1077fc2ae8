"""Rasa 3.6 work per turn that does not need to be redone each turn.

`RemoteAction._validate_action_result` checks every action server response with
`jsonschema.validate(result, schema)`, and `validate` first checks the *schema* against the
JSON Schema meta-schema (`check_schema`) and builds a new validator. The schema is a constant
(`RemoteAction.action_response_format_spec()`), and with jsonschema 4.17 that meta-check walks
Rasa's large events schema: profiled at ~60 % of a booking turn's time in Rasa
(docs/benchmarks.md, bench/bench_turn_profile.py). Here the schema is checked once and the
validator kept; each response is still validated in full, and an invalid one raises the same
`ValidationError` (jsonschema's `best_match`, with Rasa's hint appended) as before.
"""

from __future__ import annotations

import functools
from typing import Any

from rasa.core.actions.action import RemoteAction

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


def install() -> None:
    """Idempotent; rasa_ext/__init__.py calls it, so any Rasa that loads our tracker store or
    channel gets it."""
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
