"""The job that delivers queued email: rebuild the message, send it for real.

Imported from ``AppConfig.ready`` so web and worker processes declare the
same actor. Its queue is read from the settings then, because a worker
consumes only the queues declared when it boots; each message also carries
``max_retries`` from the settings at enqueue time. A configuration error or
data this version cannot read fails the message at once (``throws``): a
retry would fail the same way. Its arguments are always encrypted in Redis.
"""

from __future__ import annotations

import logging
from typing import Any

from ..conf import get_settings
from ..errors import ConfigurationError, UnsupportedMessage
from ..jobs import job
from . import delivery, payload
from .slice import MailSettings

logger = logging.getLogger(__name__)


def _declared_queue() -> str:
    try:
        return get_settings().mail.queue
    except ConfigurationError:
        # manage.py check reports the error; declaring the actor must not crash startup meanwhile.
        return MailSettings().queue


@job(
    actor_name="scalejobs_deliver_email",
    queue_name=_declared_queue(),
    max_retries=MailSettings().max_retries,
    throws=(ConfigurationError, UnsupportedMessage),
    # A message body holds password-reset links and addresses: Redis keeps it encrypted.
    encrypt=True,
)
def deliver_email(email: dict[str, Any], using: str | None = None, fail_silently: bool = False) -> None:
    """Send the message ``email`` (see ``payload``) through its route."""
    message = payload.load(email)
    route = delivery.route(using)
    try:
        delivery.send(message, route)
    except Exception:
        if not fail_silently:
            raise
        logger.warning(
            "Dropped email %s after a delivery error, as fail_silently asked.",
            payload.message_id(email),
            exc_info=True,
        )
