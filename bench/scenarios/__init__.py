"""The benchmark scenarios ``python -m bench`` runs, by name.

A scenario is a module of this package that declares:

- ``SETTINGS``: its overrides of ``bench.settings`` (``bench/overrides.py``),
  for this process and every worker it starts;
- ``QUICK``: the option defaults ``--quick`` applies (the smallest run that
  still proves the scenario works end to end);
- ``add_arguments(parser)``: its own options;
- ``run(bench) -> str``: measure, and return the Markdown report that the
  runner prints and writes to ``bench.report``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Scenario:
    """A named benchmark, and its module loaded only when it runs."""

    name: str
    description: str

    def load(self) -> ModuleType:
        return importlib.import_module(f"bench.scenarios.{self.name}")


SCENARIOS = {
    scenario.name: scenario
    for scenario in (
        Scenario("performance", "scalejobs side by side with plain Dramatiq, Celery and RQ (make bench)"),
        Scenario("foundation", "perform_later and DEFAULT_STACK against Dramatiq's send and default middleware"),
        Scenario("dispatch", "the push broker against Dramatiq's broker and Celery: latency, lateness, idle commands"),
        Scenario("unique_throttle", "what unique_for and Concurrency cost per job: round trips, rate, CPU"),
        Scenario("reliability", "what the poison-message guard costs per job: off against on"),
        Scenario("protection", "ECS protection: agent calls per 10,000 jobs and the cost in throughput"),
        Scenario("periodic", "periodic jobs on three workers: tick lateness, duplicates, leader hand-over"),
        Scenario("dashboard", "admin page render times at volume, and what the Dashboard middleware costs per job"),
        Scenario("encryption", "what encrypt=True costs: enqueue and processing, plain against sealed"),
        Scenario("batch", "jobs inside a Batch against the same jobs outside one, and Celery's chord"),
        Scenario("tasks", "the Django Tasks backend against the jobs API it is built on"),
        Scenario("autoscale", "the whole autoscaling loop: tasks added on backlog, idle ones removed (make autoscale-demo)"),
    )
}
