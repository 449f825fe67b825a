"""System checks of the periodic slice (ids ``scalejobs.E5xx``/``W5xx``).

Each entry is checked by name: E501 an invalid cron expression, E502 an
unknown time zone, E503 a job path that is not a job, E504 a name used twice;
W501 entries without the ``Periodic`` middleware that would run them.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.core import checks

from ..kernel.middleware import listed
from .declarations import declared_entries, import_job_modules


def check_periodic() -> Iterator[checks.CheckMessage]:
    """Check every periodic entry, from job options and from settings."""
    import_job_modules()
    declarations = declared_entries()
    for problem in declarations.problems:
        yield checks.Error(f"Periodic entry {problem.entry!r}: {problem.message}", hint=problem.hint, obj=problem.where, id=problem.id)
    if declarations.entries and not listed("scalejobs.Periodic"):
        yield checks.Warning(
            f"{len(declarations.entries)} periodic entries are declared but no worker would run them.",
            hint="Add 'scalejobs.middleware.Periodic' to DRAMATIQ_BROKER['MIDDLEWARE'] (scalejobs.middleware.DEFAULT_STACK has it).",
            obj="settings.DRAMATIQ_BROKER",
            id="scalejobs.W501",
        )
