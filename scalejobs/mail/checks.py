"""System checks of the mail slice (ids ``scalejobs.E1xx``/``W1xx``).

They prove, from configuration alone, that a queued message has somewhere
real to go: an importable backend or an existing ``MAILERS`` alias, and
never a ``QueuedEmailBackend`` (a loop that would queue it again forever).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.core import checks
from django.utils.module_loading import import_string

from ..conf import django_setting, get_settings
from .delivery import BACKEND_SETTING, DEFAULT_MAILER, USING_SETTING, configured_mailers, is_queued, mailer_backend

_LOOP_HINT = "Name the backend that really sends, e.g. 'django.core.mail.backends.smtp.EmailBackend'."


def check_mail() -> Iterator[checks.CheckMessage]:
    """Check that queued email has a real backend to be delivered through."""
    mail = get_settings().mail
    mailers = configured_mailers()
    if mailers is None:
        yield from _check_backend_setting(mail.backend, mail.using)
    else:
        yield from _check_mailers(mailers, mail.using)


def _check_backend_setting(backend: str, using: str | None) -> Iterator[checks.CheckMessage]:
    if using is not None:
        yield checks.Error(
            f"{USING_SETTING} is {using!r}, but MAILERS is not defined.",
            hint=f"Set {USING_SETTING} to None and name the backend in {BACKEND_SETTING}, or define MAILERS (Django >= 6.1).",
            obj="settings.SCALEJOBS",
            id="scalejobs.E103",
        )
    try:
        backend_class = import_string(backend)
    except ImportError as error:
        yield checks.Error(
            f"{BACKEND_SETTING} is {backend!r}, which cannot be imported: {error}",
            hint=f"Set {BACKEND_SETTING} to the dotted path of an email backend class.",
            obj="settings.SCALEJOBS",
            id="scalejobs.E101",
        )
        return
    if is_queued(backend_class):
        yield checks.Error(
            f"{BACKEND_SETTING} is {backend!r}, which queues email: every message would be queued again, forever.",
            hint=_LOOP_HINT,
            obj="settings.SCALEJOBS",
            id="scalejobs.E102",
        )


def _check_mailers(mailers: Mapping[str, Any], using: str | None) -> Iterator[checks.CheckMessage]:
    raw = django_setting("SCALEJOBS") or {}
    if isinstance(raw.get("MAIL"), Mapping) and "BACKEND" in raw["MAIL"]:
        yield checks.Warning(
            f"{BACKEND_SETTING} is ignored because MAILERS is defined; queued email goes through {USING_SETTING}.",
            hint=f"Remove {BACKEND_SETTING} and set {USING_SETTING} to the MAILERS alias that sends.",
            obj="settings.SCALEJOBS",
            id="scalejobs.W101",
        )
    alias = using or DEFAULT_MAILER
    if alias not in mailers:
        yield checks.Error(
            f"{USING_SETTING} is {using!r}, so queued email goes through the mailer {alias!r}, which is not in MAILERS.",
            hint=f"Set {USING_SETTING} to one of {', '.join(map(repr, mailers))}, or add {alias!r} to MAILERS.",
            obj="settings.SCALEJOBS",
            id="scalejobs.E104",
        )
    else:
        yield from _check_delivering_mailer(mailers, alias, USING_SETTING)
    for name in mailers:
        options = mailers[name].get("OPTIONS", {})
        if "using" not in options or not _is_queued_path(mailer_backend(mailers, name)):
            continue
        target = options["using"]
        setting = f"MAILERS[{name!r}]['OPTIONS']['using']"
        if target not in mailers:
            yield checks.Error(
                f"{setting} is {target!r}, which is not in MAILERS.",
                hint=f"Set {setting} to one of {', '.join(map(repr, mailers))}.",
                obj="settings.MAILERS",
                id="scalejobs.E107",
            )
        else:
            yield from _check_delivering_mailer(mailers, target, setting)


def _check_delivering_mailer(mailers: Mapping[str, Any], alias: str, setting: str) -> Iterator[checks.CheckMessage]:
    backend = mailer_backend(mailers, alias)
    try:
        backend_class = import_string(backend)
    except ImportError as error:
        yield checks.Error(
            f"MAILERS[{alias!r}]['BACKEND'] is {backend!r}, which cannot be imported: {error}",
            hint=f"Set MAILERS[{alias!r}]['BACKEND'] to the dotted path of an email backend class.",
            obj="settings.MAILERS",
            id="scalejobs.E105",
        )
        return
    if is_queued(backend_class):
        yield checks.Error(
            f"{setting} makes queued email go through the mailer {alias!r}, whose backend {backend!r} "
            "queues email: every message would be queued again, forever.",
            hint=f"Point {setting} at a mailer whose backend really sends, e.g. SMTP.",
            obj="settings.MAILERS",
            id="scalejobs.E106",
        )


def _is_queued_path(path: str) -> bool:
    try:
        return is_queued(import_string(path))
    except ImportError:
        return False
