"""Answer "is middleware X listed in ``DRAMATIQ_BROKER['MIDDLEWARE']``, and where?".

Entries are named ``<package>.<Class>``: ``scalejobs.Unique`` matches
``"scalejobs.middleware.Unique"``, ``"scalejobs.unique.middleware.Unique"`` and
an instance of ``Unique`` or of a subclass; ``dramatiq.Retries`` matches
``"dramatiq.middleware.Retries"``. Only configuration is read, nothing imported.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..conf import django_setting

# The obj of a system check about the middleware list.
BROKER_SETTING = "settings.DRAMATIQ_BROKER"


def listed(name: str) -> bool:
    """Tell whether middleware ``name`` (``<package>.<Class>``, e.g. ``scalejobs.Unique``) is listed."""
    return position(name) is not None


def position(name: str) -> int | None:
    """Return the index of middleware ``name`` in ``DRAMATIQ_BROKER['MIDDLEWARE']``, or ``None``."""
    for index, entry in enumerate(_entries()):
        if name in _names(entry):
            return index
    return None


def _entries() -> Sequence[object]:
    broker = django_setting("DRAMATIQ_BROKER")
    if not isinstance(broker, dict):
        return ()
    entries = broker.get("MIDDLEWARE", ())
    return entries if isinstance(entries, Sequence) and not isinstance(entries, str) else ()


def _names(entry: object) -> set[str]:
    if isinstance(entry, str):
        return {_short(entry)}
    return {_short(f"{cls.__module__}.{cls.__name__}") for cls in type(entry).__mro__}


def _short(path: str) -> str:
    return f"{path.split('.')[0]}.{path.rsplit('.', 1)[-1]}"
