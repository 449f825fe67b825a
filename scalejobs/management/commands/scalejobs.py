"""``manage.py scalejobs <subcommand>``: look at scalejobs from a terminal.

``status`` prints queues, workers, throughput, leader and protection.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

import redis
from django.core.management.base import BaseCommand, CommandError

from scalejobs.pages import UNREACHABLE


class Command(BaseCommand):
    help = "Inspect scalejobs: `scalejobs status` prints queues, workers, leader and protection."

    def add_arguments(self, parser: ArgumentParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", metavar="subcommand")
        subcommands.add_parser("status", help="print queues, workers, leader and protection")

    def handle(self, *args: Any, subcommand: str | None = None, **options: Any) -> None:
        if subcommand == "status":
            self.status()
        else:
            raise CommandError("Name a subcommand: status.")

    def status(self) -> None:
        from scalejobs.dashboard import declared_queues, engine
        from scalejobs.dashboard.status import leader_line, protection_line, status_lines

        try:
            found = engine()
            overview = found.overview(declared_queues())
            now = found.clock()
            lines = status_lines(overview, now=now, leader=leader_line(), protection=protection_line(now))
        except UNREACHABLE as error:
            # One line and a non-zero exit, for a human and for a health check alike.
            raise CommandError(f"Redis unreachable: {error}", returncode=2) from None
        except redis.ResponseError as error:
            raise CommandError(f"Redis refused a command: {error}", returncode=2) from None
        self.stdout.write("\n".join(lines))
