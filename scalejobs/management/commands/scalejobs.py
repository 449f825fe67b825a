"""``manage.py scalejobs <subcommand>``: look at scalejobs from a terminal.

``status`` prints queues, workers, throughput, leader, protection and running batches;
``health`` exits 0 only while a worker process of this host is alive (a
container health check for the worker); ``metrics --format
emf|prometheus|json`` prints the autoscaling metrics once. When Redis cannot
answer, each prints one line and exits 2.
"""

from __future__ import annotations

import socket
from argparse import ArgumentParser
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import redis
from django.core.management.base import BaseCommand, CommandError

from scalejobs.pages import UNREACHABLE

FORMATS = ("emf", "prometheus", "json")


@contextmanager
def redis_answers() -> Iterator[None]:
    """Turn a Redis outage or refusal into one line and a non-zero exit, for a human and a health check alike."""
    try:
        yield
    except UNREACHABLE as error:
        raise CommandError(f"Redis unreachable: {error}", returncode=2) from None
    except redis.ResponseError as error:
        raise CommandError(f"Redis refused a command: {error}", returncode=2) from None


class Command(BaseCommand):
    help = "Inspect scalejobs: `scalejobs status` prints queues, workers, leader and protection."

    def add_arguments(self, parser: ArgumentParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", metavar="subcommand")
        subcommands.add_parser("status", help="print queues, workers, leader, protection and running batches")
        health = subcommands.add_parser("health", help="exit 0 while a worker process of this host is alive")
        health.add_argument("--host", help="the host whose workers count (default: this one)")
        metrics = subcommands.add_parser("metrics", help="print the autoscaling metrics once")
        metrics.add_argument("--format", dest="output_format", choices=FORMATS, default="json", help="emf, prometheus or json (default)")

    def handle(self, *args: Any, subcommand: str | None = None, **options: Any) -> None:
        subcommands: dict[str, Callable[[], None]] = {
            "status": self.status,
            "health": lambda: self.health(options.get("host") or socket.gethostname()),
            "metrics": lambda: self.metrics(options.get("output_format", "json")),
        }
        if subcommand not in subcommands:
            raise CommandError("Name a subcommand: status, health or metrics.")
        with redis_answers():
            subcommands[subcommand]()

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

    def health(self, host: str) -> None:
        """Say whether a live worker process of ``host`` is on the board; fail otherwise.

        A worker is alive while its heartbeat key lives (the dashboard's worker
        timeout), so a hung or dead worker fails this check within that time.
        """
        from scalejobs.dashboard import engine

        workers = [worker for worker in engine().workers.workers() if worker.host == host]
        if not workers:
            raise CommandError(f"No live worker process on host {host!r}.")
        busy = sum(worker.busy for worker in workers)
        threads = sum(worker.threads for worker in workers)
        self.stdout.write(f"{len(workers)} worker processes alive on {host} ({busy}/{threads} threads busy)")

    def metrics(self, output_format: str) -> None:
        import json

        from scalejobs.conf import get_settings
        from scalejobs.metrics import snapshot
        from scalejobs.metrics.emf import documents
        from scalejobs.metrics.prometheus import render

        reading = snapshot()
        if output_format == "prometheus":
            self.stdout.write(render(reading)[0].decode(), ending="")
        elif output_format == "emf":
            settings = get_settings().metrics
            for document in documents(reading, None, namespace=settings.namespace, dimensions=settings.dimensions):
                self.stdout.write(json.dumps(document, separators=(",", ":")))
        else:
            self.stdout.write(json.dumps(reading.as_json(), indent=2))
