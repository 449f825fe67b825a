"""Find the backend that really sends a queued message, and refuse loops.

On Django >= 6.1 with ``MAILERS`` defined, a message goes out through a
mailer alias: the one passed as ``using``, else ``SCALEJOBS["MAIL"]["USING"]``,
else ``"default"``; the deprecated ``EMAIL_*`` settings are never read then
(Django raises if they are). Otherwise it goes out through the backend class
named in ``SCALEJOBS["MAIL"]["BACKEND"]``. A target that is itself a
``QueuedEmailBackend`` would queue the message again, forever, so it is a
``ConfigurationError`` both here and in ``manage.py check``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

from ..conf import django_setting, get_settings
from ..errors import ConfigurationError

#: The backend of a ``MAILERS`` entry that names none, as in Django.
DEFAULT_MAILER_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
DEFAULT_MAILER = "default"
BACKEND_SETTING = "SCALEJOBS['MAIL']['BACKEND']"
USING_SETTING = "SCALEJOBS['MAIL']['USING']"


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """Where a queued message is delivered: a mailer alias, or a backend class."""

    #: The ``MAILERS`` alias, or ``None`` to instantiate ``backend`` directly.
    alias: str | None
    #: The dotted path of the backend class that sends.
    backend: str


def configured_mailers() -> Mapping[str, Any] | None:
    """Return ``settings.MAILERS`` when Django delivers through mailers, else ``None``."""
    from django.core import mail

    if not hasattr(mail, "mailers"):
        return None
    mailers: Mapping[str, Any] | None = django_setting("MAILERS")
    return mailers


def mailer_backend(mailers: Mapping[str, Any], alias: str) -> str:
    """Return the dotted backend path of the mailer ``alias``."""
    return str(mailers[alias].get("BACKEND", DEFAULT_MAILER_BACKEND))


def is_queued(backend_class: type) -> bool:
    """Tell whether ``backend_class`` queues email instead of sending it."""
    from .backend import QueuedEmailBackend

    return isinstance(backend_class, type) and issubclass(backend_class, QueuedEmailBackend)


def route(using: str | None = None) -> Route:
    """Return where a message queued with ``using`` is delivered, or raise ``ConfigurationError``."""
    mail = get_settings().mail
    source = "using" if using is not None else USING_SETTING
    alias = using if using is not None else mail.using
    mailers = configured_mailers()
    if mailers is None:
        if alias is not None:
            raise ConfigurationError(
                source,
                f"names the mailer {alias!r}, but MAILERS is not defined.",
                f"Define MAILERS (Django >= 6.1), or leave it None and name the backend in {BACKEND_SETTING}.",
            )
        _check_backend(mail.backend, BACKEND_SETTING)
        return Route(alias=None, backend=mail.backend)
    alias = alias or DEFAULT_MAILER
    if alias not in mailers:
        raise ConfigurationError(
            source,
            f"the mailer {alias!r} is not in MAILERS.",
            f"Name one of {', '.join(map(repr, mailers))}, or add {alias!r} to MAILERS.",
        )
    backend = mailer_backend(mailers, alias)
    _check_backend(backend, f"MAILERS[{alias!r}]['BACKEND']")
    return Route(alias=alias, backend=backend)


def send(message: EmailMessage, route: Route) -> int:
    """Send ``message`` along ``route`` now; return how many messages went out."""
    if route.alias is not None:
        return int(message.send(using=route.alias))
    backend = import_string(route.backend)()
    return int(backend.send_messages([message]) or 0)


def _check_backend(path: str, setting: str) -> None:
    try:
        backend_class = import_string(path)
    except ImportError as error:
        raise ConfigurationError(setting, f"cannot import {path!r}: {error}", "Name an importable email backend class.") from error
    if is_queued(backend_class):
        raise ConfigurationError(
            setting,
            f"{path!r} queues email, so delivering through it would queue every message again, forever.",
            "Name the backend that really sends, e.g. 'django.core.mail.backends.smtp.EmailBackend'.",
        )
