"""The scale-in storm (``python -m tests.system.scale_in_storm``), as ``make test`` runs it.

Four ECS tasks, 40 jobs of 1 to 20 s over a minute, a scale-in of a random
unprotected task every second with SIGKILL after stopTimeout: no job is cut
short and every job completes exactly once. ``make chaos`` runs it again
beside the seed's naive design.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_scenario

# A long scenario that depends on neither the database nor the Django version: .ci/run runs it once.
pytestmark = [pytest.mark.system, pytest.mark.scenario]

# Only a guard against a hang; the storm takes about a minute and a half.
HANG_GUARD_SECONDS = 240


def test_a_scale_in_storm_cuts_no_job_short_and_completes_every_job_exactly_once():
    (report,) = run_scenario("tests.system.scale_in_storm", "--json", timeout=HANG_GUARD_SECONDS)
    print(json.dumps({key: value for key, value in report.items() if key != "storm"}, indent=2))
    assert report["scale-ins"] > 0
    assert report["jobs cut short"] == 0
    assert report["jobs completed exactly once"] == 40
    assert report["jobs started more than once"] == 0
