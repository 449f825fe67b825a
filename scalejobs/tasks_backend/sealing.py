"""Keep an encrypted task's arguments and tracebacks sealed in its result record too.

A task sent with ``encrypt=True`` has its message sealed like any encrypted
job; its result record (``engine.TaskSpec``) would otherwise hold the same
arguments in clear. ``sealed_spec`` stores them as one token; ``opened_spec``
gives them back to whoever reads the result with the keys (``get_result``).
"""

from __future__ import annotations

from dataclasses import replace

from ..encryption import SEALED, keyring, sealed_token
from .engine import RecordedError, TaskSpec


def sealed_spec(spec: TaskSpec) -> TaskSpec:
    """Return ``spec`` with its arguments sealed."""
    if sealed_token(spec.kwargs) is not None and not spec.args:
        return spec
    return replace(spec, args=[], kwargs={SEALED: keyring().seal(spec.args, spec.kwargs)})


def opened_spec(spec: TaskSpec) -> TaskSpec:
    """Return ``spec`` with sealed arguments decrypted; a plain spec as it is."""
    token = sealed_token(spec.kwargs)
    if token is None or spec.args:
        return spec
    args, kwargs = keyring().unseal(token, actor=spec.task_path)
    return replace(spec, args=list(args), kwargs=kwargs)


def redacted(error: RecordedError) -> RecordedError:
    """Return ``error`` with what its exceptions quote hidden."""
    from ..encryption import redact_traceback

    return replace(error, traceback=redact_traceback(error.traceback))
