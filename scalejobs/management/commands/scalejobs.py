"""``manage.py scalejobs <subcommand>``: look at scalejobs from a terminal.

``status`` prints queues, workers, throughput, leader, protection and running batches.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Inspect scalejobs: `scalejobs status` prints queues, workers, leader and protection."

    def add_arguments(self, parser: ArgumentParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", metavar="subcommand")
        subcommands.add_parser("status", help="print queues, workers, leader, protection and running batches")

    def handle(self, *args: Any, subcommand: str | None = None, **options: Any) -> None:
        if subcommand == "status":
            self.status()
        else:
            raise CommandError("Name a subcommand: status.")

    def status(self) -> None:
        from scalejobs.batch import engine_from_settings
        from scalejobs.batch.summary import running_lines
        from scalejobs.dashboard import declared_queues, engine
        from scalejobs.dashboard.status import leader_line, protection_line, status_lines

        found = engine()
        overview = found.overview(declared_queues())
        now = found.clock()
        lines = status_lines(overview, now=now, leader=leader_line(), protection=protection_line(now))
        lines += running_lines(engine_from_settings().running())
        self.stdout.write("\n".join(lines))
