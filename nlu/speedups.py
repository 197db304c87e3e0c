"""Rasa 3.6's check of every action server answer, without re-checking its own schema each time.

``RemoteAction._validate_action_result`` calls ``jsonschema.validate(result, schema)`` on every
custom action's answer. ``jsonschema.validate`` first checks *the schema* against its meta-schema
(draft 2020-12 with 4.17, all ``$dynamicRef``s), then the answer. Profiled with py-spy under the
bench (issue 16), that schema check was about a third of the Rasa server's CPU per turn: more
than the whole intent model. The schema is Rasa's own constant, so here it is checked once, a
validator is built once, and each answer is validated by it: the same rules, the same
``ValidationError`` (with Rasa's hint appended), a fraction of the time.

Installed by :mod:`nlu.channel` when Rasa loads the channel (the server, not training: like the
channel, this module is not an input of the model, scripts/model.py). :func:`install` is
idempotent.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

from jsonschema import ValidationError, validators
from jsonschema.protocols import Validator
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

logger = logging.getLogger(__name__)
_HINT = (
    ". Failed to validate Action server response from API, make sure your response from the "
    f"Action endpoint is valid. For more information about the format visit "
    f"{DOCS_BASE_URL}/custom-actions"
)


@cache
def _validator() -> Validator:
    """A validator for Rasa's action answer schema, the schema itself checked once."""
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Rasa's ``_validate_action_result`` with the validator built once."""
    error = next(iter(_validator().iter_errors(result)), None)
    if error is None:
        return True
    error.message += _HINT
    raise error


def install() -> None:
    """Replace Rasa's per-answer check by the one above (once per process)."""
    if RemoteAction._validate_action_result is not _validate_action_result:
        RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
        logger.debug("action answers validated by a prebuilt jsonschema validator")


__all__ = ["ValidationError", "install"]
