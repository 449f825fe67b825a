"""Validate a ``DramatiqBackend``'s ``OPTIONS`` into a frozen ``BackendOptions``.

The tasks backend is configured where Django configures task backends, in
``TASKS[alias]["OPTIONS"]``, so two aliases can differ. Errors name the
option as ``TASKS['default']['OPTIONS']['RESULT_TTL']``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigurationError

DEFAULTS: dict[str, Any] = {
    # Seconds a result is kept after its last change (enqueue, start, end).
    "RESULT_TTL": 24 * 60 * 60,
    # Retries after a failed attempt, unless the task sets max_retries; Django's own
    # backends never retry, so neither does this one by default.
    "MAX_RETRIES": 0,
    # Whether enqueue inside transaction.atomic() waits for the commit: True, False,
    # a database alias, or None to follow SCALEJOBS["ON_COMMIT"].
    "ON_COMMIT": None,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class BackendOptions:
    """The validated ``OPTIONS`` of one ``DramatiqBackend`` alias."""

    result_ttl: float
    max_retries: int
    on_commit: bool | str | None


def backend_options(alias: str, options: Mapping[str, Any]) -> BackendOptions:
    """Return the validated options of ``alias``, or raise ``ConfigurationError``."""
    path = f"TASKS[{alias!r}]['OPTIONS']"
    if not isinstance(options, Mapping):
        raise ConfigurationError(path, f"expected a dict, got {options!r}.", f"Set {path} to a dict.")
    for key in options:
        if key not in DEFAULTS:
            close = difflib.get_close_matches(str(key), list(DEFAULTS), n=1)
            hint = f"Did you mean {close[0]!r}?" if close else f"Valid keys: {', '.join(sorted(DEFAULTS))}."
            raise ConfigurationError(f"{path}[{key!r}]", "is not an option of scalejobs.tasks.DramatiqBackend.", hint)
    merged = {**DEFAULTS, **options}
    ttl = merged["RESULT_TTL"]
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not ttl > 0:
        _fail(path, "RESULT_TTL", ttl, "a positive number of seconds")
    retries = merged["MAX_RETRIES"]
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        _fail(path, "MAX_RETRIES", retries, "an int >= 0")
    on_commit = merged["ON_COMMIT"]
    if not (on_commit is None or isinstance(on_commit, bool) or (isinstance(on_commit, str) and on_commit)):
        _fail(path, "ON_COMMIT", on_commit, "True, False, a database alias or None")
    return BackendOptions(result_ttl=float(ttl), max_retries=retries, on_commit=on_commit)


def _fail(path: str, key: str, value: Any, expected: str) -> None:
    name = f"{path}[{key!r}]"
    raise ConfigurationError(name, f"expected {expected}, got {value!r}.", f"Set {name} to {expected}.")
