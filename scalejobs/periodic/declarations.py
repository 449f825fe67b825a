"""Gather the periodic entries a project declares, and what is wrong with them.

Entries come from two places: jobs declared with
``@scalejobs.job(periodic=..., periodic_tz=...)`` (named after the actor)
and ``SCALEJOBS["PERIODIC"]["ENTRIES"]`` (named by their key). The system
checks report the problems found here; the scheduler leaves those entries
out and logs why.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dramatiq
from django.utils.module_loading import autodiscover_modules, import_string

from .. import conf
from .records import Entry
from .schedules import Every, Schedule, parse_cron
from .slice import PeriodicEntrySettings


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """Why one entry cannot run; ``where`` names the setting or the job at fault."""

    id: str
    entry: str
    where: str
    message: str
    hint: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Declarations:
    """The runnable entries, the actor each sends, and the entries left out."""

    entries: tuple[Entry, ...]
    actors: Mapping[str, dramatiq.Actor[..., Any]]
    problems: tuple[Problem, ...]


class _Invalid(Exception):
    def __init__(self, id: str, message: str, hint: str) -> None:
        super().__init__(message)
        self.id = id
        self.message = message
        self.hint = hint


def import_job_modules() -> None:
    """Import every app's tasks modules, as ``rundramatiq`` does, so decorated jobs are declared."""
    autodiscover_modules(*conf.django_setting("DRAMATIQ_AUTODISCOVER_MODULES", ("tasks",)))


def declared_entries(broker: dramatiq.Broker | None = None) -> Declarations:
    """Return the entries declared on ``broker``'s jobs and in settings."""
    broker = broker or dramatiq.get_broker()
    entries: list[Entry] = []
    actors: dict[str, dramatiq.Actor[..., Any]] = {}
    problems: list[Problem] = []

    def add(name: str, where: str, build: functools.partial[tuple[Entry, dramatiq.Actor[..., Any]]]) -> None:
        try:
            if name in actors:
                raise _Invalid("scalejobs.E504", "this name is already used by another periodic entry.", "Rename one of them.")
            entry, actor = build()
        except _Invalid as invalid:
            problems.append(Problem(id=invalid.id, entry=name, where=where, message=invalid.message, hint=invalid.hint))
        else:
            entries.append(entry)
            actors[name] = actor

    for actor_name in sorted(broker.get_declared_actors()):
        actor = broker.get_actor(actor_name)
        if actor.options.get("periodic") is not None:
            where = f"{actor.fn.__module__}.{actor.fn.__qualname__}"
            add(actor_name, where, functools.partial(_from_job, actor, where))
    for spec in conf.get_settings().periodic.entries:
        where = f"SCALEJOBS['PERIODIC']['ENTRIES'][{spec.name!r}]"
        add(spec.name, where, functools.partial(_from_settings, spec))
    return Declarations(entries=tuple(entries), actors=actors, problems=tuple(problems))


def _from_job(actor: dramatiq.Actor[..., Any], where: str) -> tuple[Entry, dramatiq.Actor[..., Any]]:
    tz = _zone(actor.options.get("periodic_tz"))
    entry = Entry(name=actor.actor_name, job=where, schedule=_schedule(actor.options["periodic"], tz), tz=tz, source="job")
    return entry, actor


def _from_settings(spec: PeriodicEntrySettings) -> tuple[Entry, dramatiq.Actor[..., Any]]:
    tz = _zone(spec.tz)
    schedule = _schedule(spec.cron if spec.cron is not None else Every(int(spec.every or 0)), tz)
    try:
        actor = import_string(spec.job)
    except ImportError as error:
        raise _Invalid("scalejobs.E503", f"job {spec.job!r} cannot be imported ({error}).", "Set 'job' to the dotted path of a job.") from error
    if not isinstance(actor, dramatiq.Actor):
        raise _Invalid("scalejobs.E503", f"job {spec.job!r} is not a job.", "Point 'job' at a function decorated with @scalejobs.job.")
    entry = Entry(
        name=spec.name,
        job=spec.job,
        schedule=schedule,
        tz=tz,
        args=spec.args,
        kwargs=dict(spec.kwargs),
        queue=spec.queue,
        enabled=spec.enabled,
        source="settings",
    )
    return entry, actor


def _zone(name: str | None) -> ZoneInfo:
    name = name or conf.django_setting("TIME_ZONE") or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise _Invalid("scalejobs.E502", f"time zone {name!r} is unknown.", "Use an IANA zone name such as 'Europe/Paris'.") from error


def _schedule(value: Any, tz: ZoneInfo) -> Schedule:
    if isinstance(value, Every):
        return value
    if not isinstance(value, str):
        raise _Invalid(
            "scalejobs.E501",
            f"periodic={value!r} is neither a cron string nor scalejobs.every(...).",
            "Pass a cron string such as '*/5 * * * *' or scalejobs.every(seconds=30).",
        )
    try:
        return parse_cron(value, tz)
    except ValueError as error:
        raise _Invalid("scalejobs.E501", f"{error}.", "Write five fields: minute hour day-of-month month day-of-week.") from error
