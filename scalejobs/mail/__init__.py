"""Queue email for a worker to send: ``deliver_later`` and friends.

``later`` enqueues, ``payload`` turns a message into JSON and back,
``jobs`` holds the delivering actor, ``delivery`` picks the backend that
really sends, ``backend`` is ``QueuedEmailBackend``, ``checks`` the E1xx checks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .later import deliver_later, send_mail_later, send_mass_mail_later

if TYPE_CHECKING:
    from .backend import QueuedEmailBackend

__all__ = ["QueuedEmailBackend", "deliver_later", "send_mail_later", "send_mass_mail_later"]


def __getattr__(name: str) -> Any:
    # Loaded on first use: settings modules import scalejobs before Django is set up.
    if name == "QueuedEmailBackend":
        from .backend import QueuedEmailBackend

        return QueuedEmailBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
