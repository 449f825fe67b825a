"""Read ``settings.SCALEJOBS`` once into a frozen, validated ``Settings``.

This is the only module that reads ``django.conf.settings``. It knows no
slice by name: the kernel's own keys are declared here, and each slice
declares its section (defaults, a doc and a rule per key) in its
``slice.py``; ``build`` walks the registry in ``scalejobs.slices``.
``get_settings()`` builds the result lazily and the ``setting_changed``
signal (connected in ``AppConfig.ready``) clears it. Invalid values raise
``ConfigurationError`` naming the setting, which the system checks turn
into ``scalejobs.E001``. ``reference()`` renders every default with its
doc: the README's settings reference is that text, kept equal by a test.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings as django_settings

from .errors import ConfigurationError
from .kernel import validation
from .kernel.validation import FLAG, Rule, declared, setting, setting_of, text

if TYPE_CHECKING:
    from .slices import Settings

__all__ = ["ConfigurationError", "KernelSettings", "Settings", "build", "clear_settings", "django_setting", "get_settings"]


def _redis_url(value: Any, given: Mapping[str, Any]) -> bool:
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("redis", "rediss") and bool(parts.hostname) or parts.scheme == "unix" and bool(parts.path)


@dataclass(frozen=True, slots=True, kw_only=True)
class KernelSettings:
    """The keys of ``SCALEJOBS`` that are no slice's own."""

    redis_url: str | None = setting(
        None,
        "Redis used for coordination; None means the Dramatiq broker's own client.",
        Rule("a redis://, rediss:// or unix:// URL, or None", _redis_url),
    )
    key_prefix: str = setting(
        "scalejobs", "First part of every key scalejobs writes, so deployments can share a Redis.", text("a non-empty string")
    )
    on_commit: bool = setting(True, "Whether perform_later inside transaction.atomic() waits for the commit.", FLAG)


def build(raw: Any) -> Settings:
    """Validate the user's ``SCALEJOBS`` value and return ``Settings``."""
    from .slices import SLICES, Settings

    path = "SCALEJOBS"
    given = {} if raw is None else raw
    validation.require_dict(given, path)
    sections = {slice.key: (slice.name, slice.settings) for slice in SLICES if slice.settings is not None}
    validation.reject_unknown(given, [*declared(KernelSettings), *sections], path)
    values = validation.read_values(KernelSettings, {key: value for key, value in given.items() if key not in sections}, path)
    for key, (name, section) in sections.items():
        values[name] = validation.read_section(section, given.get(key, {}), f"{path}[{key!r}]")
    return Settings(**values)


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


def redis_configured() -> bool:
    """Tell whether scalejobs has a Redis: its own ``REDIS_URL``, or a Redis broker."""
    broker = str((django_setting("DRAMATIQ_BROKER") or {}).get("BROKER", ""))
    return get_settings().redis_url is not None or "redis" in broker.lower()


def defaults() -> dict[str, Any]:
    """Return every default as the user would write it: ``{"KEY_PREFIX": "scalejobs", "MAIL": {...}, ...}``."""
    from .slices import SLICES

    found: dict[str, Any] = validation.defaults(KernelSettings)
    for slice in SLICES:
        if slice.settings is not None:
            found[slice.key] = validation.defaults(slice.settings)
    return found


def reference() -> str:
    """Return ``SCALEJOBS = {...}`` with every default, each under its doc as a comment."""
    from .slices import SLICES

    lines = ["SCALEJOBS = {", *_documented(KernelSettings, "    ")]
    for slice in SLICES:
        if slice.settings is not None:
            lines += [f'    "{slice.key}": {{', *_documented(slice.settings, "        "), "    },"]
    return "\n".join([*lines, "}"])


def _documented(section: type, indent: str) -> list[str]:
    lines = []
    for key, item in declared(section).items():
        declaration = setting_of(item)
        lines += [f"{indent}# {declaration.doc}", f'{indent}"{key}": {_literal(declaration.default)},']
    return lines


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_literal(key)}: {_literal(item)}" for key, item in value.items()) + "}"
    return repr(value)


def __getattr__(name: str) -> Any:
    # Settings and its sections live with the registry and the slices, loaded on first use:
    # the slices' packages import this module. Dunder lookups (the import system's) are not ours.
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import slices

    if name == "Settings":
        return slices.Settings
    if name == "DEFAULTS":
        return defaults()
    for slice in slices.SLICES:
        if slice.settings is not None and slice.settings.__name__ == name:
            return slice.settings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
