"""Say what one protection call changes in a task's ``state`` hash, as a typed record.

The verdict builds a ``StateChange``, the engine reads it, the ledger stores
it: ``StateChange.fields`` is the one place that turns it into the hash's
strings (``lua/record.lua`` sets them, and deletes a field given ``""``).
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any, Final


class Keep(enum.Enum):
    """The value of a ``StateChange`` field that leaves the stored field as it is."""

    KEEP = "keep"


KEEP: Final = Keep.KEEP


@dataclass(frozen=True, slots=True, kw_only=True)
class StateChange:
    """What one call's outcome writes into the task's ``state`` hash.

    A field at ``KEEP`` leaves the stored value alone; ``None`` deletes it.
    """

    last_call: dict[str, Any]
    status: str | Keep = KEEP
    expires_at: float | None | Keep = KEEP
    since: float | None | Keep = KEEP
    failures: int | Keep = KEEP
    backoff_until: float | None | Keep = KEEP
    recheck_at: float | None | Keep = KEEP
    switched_off: str | None | Keep = KEEP
    refused_at: float | None | Keep = KEEP

    def fields(self) -> dict[str, str]:
        """Return the hash fields to set, with ``""`` for each field to delete (see ``lua/record.lua``)."""
        values: dict[str, object] = {
            "last_call": json.dumps(self.last_call),
            "status": self.status,
            "expires_at": self.expires_at,
            "since": self.since,
            "failures": self.failures,
            "backoff_until": self.backoff_until,
            "recheck_at": self.recheck_at,
            "switched_off": self.switched_off,
            "refused_at": self.refused_at,
        }
        return {name: _text(value) for name, value in values.items() if value is not KEEP}


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)
