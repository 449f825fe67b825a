"""The mail slice declares itself: queued email, its settings, checks and delivery job."""

from __future__ import annotations

from dataclasses import dataclass

from ..kernel.slice import Slice
from ..kernel.validation import COUNT, POSITIVE_INT, dotted_path, setting, text, text_or_none


@dataclass(frozen=True, slots=True, kw_only=True)
class MailSettings:
    """Where and how queued email is delivered."""

    backend: str = setting(
        "django.core.mail.backends.smtp.EmailBackend",
        "The backend that really delivers, used by QueuedEmailBackend on Django 5.2.",
        dotted_path("a dotted path to an email backend"),
    )
    using: str | None = setting(None, "The MAILERS alias that really delivers on Django >= 6.1.", text_or_none("a MAILERS alias or None"))
    queue: str = setting("default", "The queue the delivery job runs on.", text("a queue name"))
    max_message_bytes: int = setting(5 * 1024 * 1024, "Messages above this many bytes (5 MiB; after encoding) fail at enqueue.", POSITIVE_INT)
    max_retries: int = setting(10, "Retries of a message whose delivery failed.", COUNT)


def ready() -> None:
    """Declare the delivery job, in web and worker processes alike."""
    from . import jobs  # noqa: F401


SLICE = Slice(name="mail", settings=MailSettings, checks="scalejobs.mail.checks.check_mail", ready="scalejobs.mail.slice.ready")
