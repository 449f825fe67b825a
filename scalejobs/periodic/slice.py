"""The periodic slice declares itself: schedules, their settings, checks, middleware and page."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigurationError
from ..kernel.slice import Slice
from ..kernel.validation import (
    FLAG,
    POSITIVE_INT,
    SECONDS_OR_ZERO,
    Rule,
    declared,
    dotted_path,
    is_number,
    read_section,
    reject_unknown,
    require_dict,
    setting,
    text_or_none,
)

# The names an entry may have: they appear in keys, URLs and the admin.
ENTRY_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def _whole_seconds(value: Any, given: Mapping[str, Any]) -> bool:
    return value is None or (is_number(value) and value >= 1 and float(value).is_integer())


@dataclass(frozen=True, slots=True, kw_only=True)
class PeriodicEntrySettings:
    """One schedule declared in settings; ``cron`` or ``every`` (seconds) is set, not both."""

    name: str
    job: str = setting(None, "Dotted path of the job to enqueue.", dotted_path("a dotted path to a job"))
    cron: str | None = setting(None, "A cron expression, e.g. '0 3 * * *', read in the entry's time zone.", text_or_none("a cron string"))
    every: float | None = setting(None, "Seconds between runs (a whole number), instead of cron.", Rule("a whole number of seconds >= 1", _whole_seconds))
    tz: str | None = setting(None, "An IANA time zone name; None means settings.TIME_ZONE.", text_or_none("a time zone name such as 'Europe/Paris'"))
    args: tuple[Any, ...] = setting(
        [], "Positional arguments of each run.", Rule("a list", lambda value, given: isinstance(value, (list, tuple)), lambda value, name: tuple(value))
    )
    kwargs: Mapping[str, Any] = setting({}, "Keyword arguments of each run.", Rule("a dict", lambda value, given: isinstance(value, Mapping)))
    queue: str | None = setting(None, "The queue each run is sent to; None means the job's own.", text_or_none("a queue name"))
    enabled: bool = setting(True, "Whether the entry runs; False keeps it declared but idle.", FLAG)


def _entries(value: Mapping[str, Any], name: str) -> tuple[PeriodicEntrySettings, ...]:
    parsed = []
    for entry, given in value.items():
        at = f"{name}[{entry!r}]"
        if not isinstance(entry, str) or not ENTRY_NAME.fullmatch(entry):
            raise ConfigurationError(at, "is not a valid entry name.", "Name entries with letters, digits, '.', '_' and '-'.")
        require_dict(given, at)
        reject_unknown(given, declared(PeriodicEntrySettings, key=str), at)
        if (given.get("cron") is None) == (given.get("every") is None):
            raise ConfigurationError(at, "needs exactly one of 'cron' and 'every'.", "Give a cron string or 'every' in seconds.")
        parsed.append(read_section(PeriodicEntrySettings, given, at, key=str, name=entry))
    return tuple(parsed)


@dataclass(frozen=True, slots=True, kw_only=True)
class PeriodicSettings:
    """How periodic jobs catch up and what they remember."""

    catch_up_seconds: float = setting(300.0, "Ticks missed while nobody led are enqueued on take-over if at most this old.", SECONDS_OR_ZERO)
    history: int = setting(100, "Tick records kept per entry for the admin page.", POSITIVE_INT)
    entries: tuple[PeriodicEntrySettings, ...] = setting(
        {},
        'Schedules by name: {"job": dotted path, "cron" or "every", "tz", "args", "kwargs", "queue", "enabled"}.',
        Rule("a dict of entries by name", lambda value, given: isinstance(value, Mapping), _entries),
    )


SLICE = Slice(
    name="periodic",
    settings=PeriodicSettings,
    checks="scalejobs.periodic.checks.check_periodic",
    middleware=("scalejobs.periodic.middleware.Periodic",),
    pages="scalejobs.periodic.views",
    duties=("scalejobs.periodic.runner.scheduler_thread",),
)
