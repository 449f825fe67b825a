"""The whole loop on real workers: the published metric scales tasks out, then idle tasks in, and no job is cut short or lost."""

from __future__ import annotations

import pytest

from bench.scenarios.autoscale import QUICK_RAMP, draw, figures, report, simulate

# A long scenario that depends on neither the database nor the Django version: .ci/run runs it once.
pytestmark = [pytest.mark.system, pytest.mark.scenario]


def test_load_scales_tasks_out_on_backlog_per_task_and_back_in_without_cutting_a_job_short(redis_db, tmp_path):
    # Imported here, not at collection: it declares the simulation's queue on this process's broker.
    from bench.jobs import autoscale  # noqa: F401

    run = simulate(QUICK_RAMP, redis_db, tmp_path)
    found = figures(run)

    assert run.readings, "the controller read BacklogPerTask from the leader's EMF lines"
    assert found["peak_tasks"] >= 2, found
    assert (found["final_tasks"], found["settled"]) == (QUICK_RAMP.min_tasks, True), found
    assert found["tasks_stopped_by_scale_in"] >= 1, found
    assert (found["cut_short"], found["lost"], found["tasks_sigkilled"]) == (0, 0, 0), found
    assert found["reaction"] is not None and found["reaction"] > 0

    draw(run, tmp_path / "loop.png")
    assert (tmp_path / "loop.png").read_bytes().startswith(b"\x89PNG")
    assert "| jobs lost (never done) | 0 |" in report(run, found, "loop.png")
