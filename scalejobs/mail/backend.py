"""``QueuedEmailBackend``: every message Django sends goes through a worker."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger(__name__)


class QueuedEmailBackend(BaseEmailBackend):
    """An email backend that queues each message for a worker instead of sending it.

    As ``EMAIL_BACKEND`` (Django 5.2), workers send through
    ``SCALEJOBS["MAIL"]["BACKEND"]``. As a ``MAILERS`` alias (Django >= 6.1)
    its ``OPTIONS`` may name ``using``, the alias that really sends (default
    ``SCALEJOBS["MAIL"]["USING"]``, then ``"default"``), and ``queue_name``.
    Messages wait for the transaction commit, like ``deliver_later``.
    ``send_messages`` returns how many messages were queued.
    """

    def __init__(
        self,
        fail_silently: bool = False,
        *,
        using: str | None = None,
        queue_name: str | None = None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        # Django passes these from send_mail(auth_user=..., auth_password=...): they
        # were meant for an SMTP login, and a queue must never carry them.
        if username is not None or password is not None:
            raise TypeError(
                "QueuedEmailBackend does not put credentials in the queue; set them on the "
                "sending backend (EMAIL_HOST_USER/EMAIL_HOST_PASSWORD, or its MAILERS OPTIONS)."
            )
        # Whatever is left (alias, unknown OPTIONS) is Django's to accept or report.
        super().__init__(**kwargs)
        self.fail_silently = fail_silently
        self.using = using
        self.queue_name = queue_name

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        """Queue every message that has a recipient; return how many were queued."""
        from .later import queue_message

        queued = 0
        for message in email_messages:
            if not message.recipients():
                continue
            try:
                queue_message(message, using=self.using, queue_name=self.queue_name, fail_silently=self.fail_silently)
            except Exception:
                if not self.fail_silently:
                    raise
                logger.warning("Could not queue an email, and fail_silently is set.", exc_info=True)
            else:
                queued += 1
        return queued
