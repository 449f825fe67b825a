"""The shortened chaos suite (``python -m tests.system.chaos --short``), as ``make test`` runs it.

The suite runs in its own process: it starts its own Redis with append-only
persistence and restarts it, so it cannot share this run's Redis or broker.
Figures are printed, not asserted; ``make chaos`` runs the full suite.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_scenario

# A long scenario that depends on neither the database nor the Django version: .ci/run runs it once.
pytestmark = [pytest.mark.system, pytest.mark.scenario]

# Only a guard against a hang; the short suite takes about a minute.
HANG_GUARD_SECONDS = 300


def test_nothing_is_lost_while_workers_are_killed_redis_restarts_and_the_ecs_agent_fails():
    report = run_scenario("tests.system.chaos", "--short", timeout=HANG_GUARD_SECONDS)
    print(json.dumps({key: value for key, value in report.items() if key != "plan"}, indent=2))

    assert report["failures"] == []
    assert (report["jobs sent"], report["jobs ran"], report["jobs lost"]) == (600, 600, 0)
    assert report["unexplained duplicates"] == []
    assert report["sigkills"] >= 3 and report["sigterms"] >= 1
    assert report["recovered"]["messages"] > 0
    left = report["left over"]
    assert (left["leftovers"], left["unique locks"], left["busy slots"], left["dead letters"]) == ({}, [], {}, {})
    assert report["enqueue while Redis was down"]["raised"] == "BrokerUnavailable"
    assert report["agent outage"]["calls failed"] > 0 and report["agent outage"]["jobs started during it"] > 0
