"""Staff watch and steer a periodic entry in a real browser while a real worker leads."""

from __future__ import annotations

import json

import pytest

from tests.conftest import wait_for

pytestmark = pytest.mark.browser

OVERRIDES = {
    "LEADER": {"LEASE_SECONDS": 3.0, "RENEW_SECONDS": 1.0, "CHECK_SECONDS": 1.0},
    "PERIODIC": {"ENTRIES": {"beat": {"job": "tests.testapp.tasks.record", "every": 1, "args": ["beat"], "queue": "periodic-probe"}}},
}
PAGE = "/admin/scalejobs/jobs/periodic/"


def test_staff_pause_resume_and_run_now_an_entry_while_a_worker_leads(redis_db, staff_page, start_worker, settings, screenshot):
    settings.SCALEJOBS = {**settings.SCALEJOBS, **OVERRIDES}
    start_worker("--processes", "1", "--threads", "1", "--queues", "default", env={"SCALEJOBS_TEST_OVERRIDES": json.dumps(OVERRIDES)})
    history = staff_page.locator("#periodic-history")

    def enqueued_by_the_worker() -> bool:
        staff_page.goto(PAGE)
        return history.locator("tr.periodic-enqueued").count() > 0

    wait_for(enqueued_by_the_worker, timeout=60)
    assert "(pid " in staff_page.locator("#periodic-leader").inner_text()
    row = staff_page.locator('tr[data-entry="beat"]')
    assert "every 1s" in row.inner_text() and "UTC" in row.inner_text()
    screenshot(staff_page, "periodic-active")

    row.get_by_role("button", name="Pause").click()
    assert "paused by staff" in row.locator(".periodic-state").inner_text()
    screenshot(staff_page, "periodic-paused")
    row.get_by_role("button", name="Resume").click()
    assert row.locator(".periodic-state").inner_text() == "active"
    row.get_by_role("button", name="Run now").click()
    assert history.locator("tr.periodic-run_now").count() == 1
    assert [history.locator(f"tr.periodic-{status}").count() > 0 for status in ("paused", "resumed")] == [True, True]
    screenshot(staff_page, "periodic-history")
