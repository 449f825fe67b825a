"""Read ``settings.SCALEJOBS`` once into a frozen, validated ``Settings``.

This is the only module that reads ``django.conf.settings``. The user's dict
is merged over the defaults below; ``get_settings()`` builds the result
lazily and the ``setting_changed`` signal (connected in ``AppConfig.ready``)
clears it. Invalid values raise ``ConfigurationError`` naming the setting,
which the system checks turn into ``scalejobs.E001``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings as django_settings

from .errors import ConfigurationError

T = TypeVar("T")

DEFAULTS: dict[str, Any] = {
    # Redis used for coordination; None means the Dramatiq broker's own client.
    "REDIS_URL": None,
    # First part of every key scalejobs writes, so deployments can share a Redis.
    "KEY_PREFIX": "scalejobs",
    # Whether perform_later inside transaction.atomic() waits for the commit.
    "ON_COMMIT": True,
    "MAIL": {
        # The backend that really delivers, used by QueuedEmailBackend on Django 5.2.
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        # The MAILERS alias that really delivers on Django >= 6.1.
        "USING": None,
        "QUEUE": "default",
        # Messages above this many bytes (after encoding) fail at enqueue.
        "MAX_MESSAGE_BYTES": 5 * 1024 * 1024,
        "MAX_RETRIES": 10,
    },
}


@dataclass(frozen=True, slots=True, kw_only=True)
class MailSettings:
    """Where and how queued email is delivered."""

    backend: str
    using: str | None
    queue: str
    max_message_bytes: int
    max_retries: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Every scalejobs setting, validated."""

    redis_url: str | None
    key_prefix: str
    on_commit: bool
    mail: MailSettings = field(repr=False)


def _value(
    raw: Mapping[str, Any],
    path: str,
    key: str,
    kind: type[T] | tuple[type, ...],
    check: Callable[[Any], bool] = lambda value: True,
    expected: str = "",
) -> T:
    name = f"{path}[{key!r}]"
    value = raw[key]
    if isinstance(value, bool) and kind in (int, float):
        ok = False
    else:
        ok = isinstance(value, kind) and check(value)
    if not ok:
        wanted = expected or getattr(kind, "__name__", str(kind))
        raise ConfigurationError(name, f"expected {wanted}, got {value!r}.", f"Set {name} to {wanted}.")
    return value  # type: ignore[return-value]


def _section(raw: Mapping[str, Any], path: str, key: str) -> dict[str, Any]:
    defaults = DEFAULTS[key]
    given = raw.get(key, {})
    name = f"{path}[{key!r}]"
    if not isinstance(given, Mapping):
        raise ConfigurationError(name, f"expected a dict, got {given!r}.", f"Set {name} to a dict.")
    _reject_unknown(given, defaults, name)
    return {**defaults, **given}


def _reject_unknown(given: Mapping[str, Any], defaults: Mapping[str, Any], path: str) -> None:
    import difflib

    for key in given:
        if key not in defaults:
            close = difflib.get_close_matches(str(key), list(defaults), n=1)
            hint = f"Did you mean {close[0]!r}?" if close else f"Valid keys: {', '.join(sorted(defaults))}."
            raise ConfigurationError(f"{path}[{key!r}]", "is not a scalejobs setting.", hint)


def _positive(value: Any) -> bool:
    return value > 0


def _non_negative(value: Any) -> bool:
    return value >= 0


def _dotted(value: Any) -> bool:
    return "." in value


def build(raw: Any) -> Settings:
    """Validate the user's ``SCALEJOBS`` value and return ``Settings``."""
    path = "SCALEJOBS"
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigurationError(path, f"expected a dict, got {raw!r}.", "Set SCALEJOBS to a dict.")
    _reject_unknown(raw, DEFAULTS, path)
    merged = {**DEFAULTS, **raw}
    mail = _section(raw, path, "MAIL")
    mail_path = f"{path}['MAIL']"
    return Settings(
        redis_url=_value(merged, path, "REDIS_URL", (str, type(None)), expected="a redis:// URL or None"),
        key_prefix=_value(merged, path, "KEY_PREFIX", str, bool, "a non-empty string"),
        on_commit=_value(merged, path, "ON_COMMIT", bool),
        mail=MailSettings(
            backend=_value(mail, mail_path, "BACKEND", str, _dotted, "a dotted path to an email backend"),
            using=_value(mail, mail_path, "USING", (str, type(None)), expected="a MAILERS alias or None"),
            queue=_value(mail, mail_path, "QUEUE", str, bool, "a queue name"),
            max_message_bytes=_value(mail, mail_path, "MAX_MESSAGE_BYTES", int, _positive, "a positive int"),
            max_retries=_value(mail, mail_path, "MAX_RETRIES", int, _non_negative, "an int >= 0"),
        ),
    )


@functools.cache
def get_settings() -> Settings:
    """Return the validated settings, building them on first use."""
    return build(getattr(django_settings, "SCALEJOBS", None))


def clear_settings(*, setting: str, **kwargs: Any) -> None:
    """Forget the cached settings when a test overrides a setting they read."""
    if setting in ("SCALEJOBS", "DRAMATIQ_BROKER"):
        get_settings.cache_clear()
        from . import store

        store.reset()


def django_setting(name: str, default: Any = None) -> Any:
    """Return a Django setting other than ``SCALEJOBS``, read in one place."""
    return getattr(django_settings, name, default)
