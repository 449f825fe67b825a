"""Queue email for a worker: ``deliver_later``, ``send_mail_later``, ``send_mass_mail_later``.

Each message becomes one ``scalejobs_deliver_email`` job carrying the
message's JSON form (``payload``), so a failure is retried per message.
Like ``perform_later``, the job waits for the surrounding transaction to
commit and is dropped on a rollback. Misconfiguration, content a queue
cannot carry, and messages over ``SCALEJOBS["MAIL"]["MAX_MESSAGE_BYTES"]``
fail here, at the call, not later in a worker.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

from ..conf import get_settings
from ..errors import MessageTooLarge
from ..jobs import Delay, enqueue

if TYPE_CHECKING:
    import dramatiq
    from django.core.mail import EmailMessage


def deliver_later(
    message: EmailMessage,
    *,
    delay: Delay | None = None,
    queue_name: str | None = None,
    using: str | None = None,
    on_commit: bool | str | None = None,
) -> dramatiq.Message[Any]:
    """Queue a built ``EmailMessage`` or ``EmailMultiAlternatives`` for a worker to send.

    ``delay`` is in seconds (or a ``timedelta``); ``queue_name`` overrides
    ``SCALEJOBS["MAIL"]["QUEUE"]`` (workers must consume it); ``using`` names
    the ``MAILERS`` alias that sends, on Django >= 6.1; ``on_commit`` is as
    for ``perform_later``. Return the ``dramatiq.Message``.
    """
    return queue_message(message, delay=delay, queue_name=queue_name, using=using, on_commit=on_commit)


def send_mail_later(
    subject: str,
    message: str,
    from_email: str | None,
    recipient_list: Sequence[str],
    *,
    fail_silently: bool = False,
    auth_user: str | None = None,
    auth_password: str | None = None,
    connection: Any = None,
    html_message: str | None = None,
    using: str | None = None,
    delay: Delay | None = None,
) -> dramatiq.Message[Any]:
    """Queue what Django's ``send_mail`` would send; return the ``dramatiq.Message``.

    ``fail_silently`` makes the worker log a delivery error instead of
    raising (and so retrying). Credentials and connections cannot travel
    through a queue: ``auth_user``, ``auth_password`` and ``connection``
    raise ``TypeError`` unless ``None``; configure the sending backend instead.
    """
    from django.core.mail import EmailMultiAlternatives

    _refuse_session("send_mail_later", auth_user, auth_password, connection)
    mail = EmailMultiAlternatives(subject, message, from_email, recipient_list)
    if html_message:
        mail.attach_alternative(html_message, "text/html")
    return queue_message(mail, using=using, delay=delay, fail_silently=fail_silently)


def send_mass_mail_later(
    datatuple: Iterable[tuple[str, str, str | None, Sequence[str]]],
    *,
    fail_silently: bool = False,
    auth_user: str | None = None,
    auth_password: str | None = None,
    connection: Any = None,
    using: str | None = None,
    delay: Delay | None = None,
) -> list[dramatiq.Message[Any]]:
    """Queue what Django's ``send_mass_mail`` would send: one job per message.

    Return the ``dramatiq.Message`` of each, in order. Arguments are as for
    ``send_mail_later``. Every message is checked before any is queued.
    """
    from django.core.mail import EmailMessage

    _refuse_session("send_mass_mail_later", auth_user, auth_password, connection)
    messages = [EmailMessage(subject, body, sender, recipients) for subject, body, sender, recipients in datatuple]
    return queue_messages(messages, using=using, delay=delay, fail_silently=fail_silently)


def queue_message(
    message: EmailMessage,
    *,
    delay: Delay | None = None,
    queue_name: str | None = None,
    using: str | None = None,
    fail_silently: bool = False,
    on_commit: bool | str | None = None,
) -> dramatiq.Message[Any]:
    """Check ``message``, then enqueue one delivery job for it; return its message."""
    return queue_messages(
        [message], delay=delay, queue_name=queue_name, using=using, fail_silently=fail_silently, on_commit=on_commit
    )[0]


def queue_messages(
    messages: Sequence[EmailMessage],
    *,
    delay: Delay | None = None,
    queue_name: str | None = None,
    using: str | None = None,
    fail_silently: bool = False,
    on_commit: bool | str | None = None,
) -> list[dramatiq.Message[Any]]:
    """Check every message, then enqueue one delivery job for each."""
    from . import delivery, payload
    from .jobs import deliver_email

    mail = get_settings().mail
    delivery.route(using)
    jobs = []
    for message in messages:
        data = payload.dump(message)
        size = payload.encoded_size(data)
        if size > mail.max_message_bytes:
            raise MessageTooLarge(
                f"The email is {size} bytes once encoded, over SCALEJOBS['MAIL']['MAX_MESSAGE_BYTES'] "
                f"({mail.max_message_bytes}); keep large attachments in storage and send a link, or raise the setting."
            )
        kwargs: dict[str, Any] = {"email": data}
        if using is not None:
            kwargs["using"] = using
        if fail_silently:
            kwargs["fail_silently"] = True
        jobs.append(kwargs)
    sent = []
    for kwargs in jobs:
        job = enqueue(
            deliver_email,
            (),
            kwargs,
            delay=delay,
            on_commit=on_commit,
            queue_name=queue_name or mail.queue,
            options={"max_retries": mail.max_retries},
        )
        # Only a unique job is ever dropped as a duplicate; this one is not unique.
        sent.append(cast("dramatiq.Message[Any]", job))
    return sent


def _refuse_session(function: str, auth_user: Any, auth_password: Any, connection: Any) -> None:
    if auth_user is not None or auth_password is not None:
        raise TypeError(
            f"{function}() does not put credentials in the queue; drop auth_user/auth_password and set "
            "them on the sending backend (EMAIL_HOST_USER/EMAIL_HOST_PASSWORD, or the MAILERS alias's OPTIONS)."
        )
    if connection is not None:
        raise TypeError(
            f"{function}() cannot carry a connection to a worker; drop connection and name the sending "
            "backend in SCALEJOBS['MAIL']['BACKEND'], or pass using= a MAILERS alias (Django >= 6.1)."
        )
