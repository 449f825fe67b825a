"""The scale-in storm (``python -m tests.system.scale_in_storm``), as ``make test`` runs it.

Four ECS tasks, 40 jobs of 1 to 20 s over a minute, a scale-in of a random
unprotected task every second with SIGKILL after stopTimeout: no job is cut
short and every job completes exactly once. ``make chaos`` runs it again
beside the seed's naive design.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

# A long scenario that depends on neither the database nor the Django version: .ci/run runs it once.
pytestmark = [pytest.mark.system, pytest.mark.scenario]

# Only a guard against a hang; the storm takes about a minute and a half.
HANG_GUARD_SECONDS = 240


def test_a_scale_in_storm_cuts_no_job_short_and_completes_every_job_exactly_once():
    environment = {key: value for key, value in os.environ.items() if not key.startswith("SCALEJOBS_TEST_")}
    finished = subprocess.run(
        [sys.executable, "-m", "tests.system.scale_in_storm", "--json"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_SECONDS,
    )
    assert finished.stdout, finished.stderr[-5000:]
    (report,) = json.loads(finished.stdout)
    print(json.dumps({key: value for key, value in report.items() if key != "storm"}, indent=2))
    assert report["scale-ins"] > 0
    assert report["jobs cut short"] == 0
    assert report["jobs completed exactly once"] == 40
    assert report["jobs started more than once"] == 0
