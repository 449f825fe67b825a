"""Staff follow a batch from the Batches page to its detail page in a real browser while a real worker runs it."""

from __future__ import annotations

import pytest

import scalejobs
from tests.conftest import wait_for
from tests.testapp.batch_tasks import on_complete, row

pytestmark = pytest.mark.browser

PAGE = "/admin/scalejobs/jobs/batches/"


def test_staff_watch_a_batch_finish_and_reach_its_dead_job_from_the_batches_page(redis_db, staff_page, start_worker, screenshot):
    start_worker("--processes", "1", "--threads", "4", "--queues", "batch")
    with scalejobs.Batch("Import <customers>.csv", on_complete=on_complete, on_commit=False) as batch:
        row.perform_bulk([("ok-1",), ("ok-2",), ("ok-3",), ("dies", 99)])

    def finished() -> bool:
        staff_page.goto(PAGE)
        return staff_page.locator("#finished-batches").get_by_role("link", name="Import <customers>.csv").count() == 1

    wait_for(finished, timeout=60)
    bar = staff_page.locator("#finished-batches").get_by_role("progressbar")
    assert bar.get_attribute("aria-valuenow") == "100"
    screenshot(staff_page, "batches")

    staff_page.locator("#finished-batches").get_by_role("link", name="Import <customers>.csv").click()
    assert staff_page.locator("#batch-total").inner_text() == "4"
    assert staff_page.locator("#batch-succeeded").inner_text() == "3"
    assert staff_page.locator("#batch-dead").inner_text() == "1"
    assert scalejobs.Batch.status(batch.id).dead == 1
    screenshot(staff_page, "batch-detail")

    staff_page.locator("#dead-jobs").get_by_role("link", name="dead letters").click()
    assert "actor=row" in staff_page.url and "queue=batch" in staff_page.url
