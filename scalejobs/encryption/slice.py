"""The encryption slice declares itself: the secrets that seal job arguments, and its log filter."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..kernel.slice import Slice
from ..kernel.validation import Rule, setting


def _secrets(value: Any, given: Mapping[str, Any]) -> bool:
    if value is None:
        return True
    return isinstance(value, (list, tuple)) and bool(value) and all(isinstance(key, str) and key for key in value)


@dataclass(frozen=True, slots=True, kw_only=True)
class EncryptionSettings:
    """The secrets that seal job arguments; ``None`` means Django's ``SECRET_KEY`` and fallbacks."""

    keys: tuple[str, ...] | None = setting(
        None,
        "Secrets that seal encrypt=True jobs and queued email, the first encrypting; None: SECRET_KEY and its fallbacks.",
        Rule("None or a non-empty list of secret strings", _secrets, lambda value, name: None if value is None else tuple(value)),
        repr=False,
    )


SLICE = Slice(name="encryption", settings=EncryptionSettings, ready="scalejobs.encryption.logs.install")
