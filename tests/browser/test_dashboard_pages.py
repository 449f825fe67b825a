"""Staff use the dashboard in a real browser, against real workers."""

from __future__ import annotations

import json

import pytest

from example_project.shop.models import Customer, Export
from example_project.shop.tasks import export_customers
from scalejobs.dashboard import engine
from tests.conftest import wait_for
from tests.testapp.dashboard_tasks import BROKEN, fail_while_broken
from tests.testapp.tasks import RECORD, record

pytestmark = pytest.mark.browser

WORKER_ENV = {"SCALEJOBS_TEST_OVERRIDES": json.dumps({"DASHBOARD": {"HEARTBEAT_SECONDS": 0.2, "WORKER_TIMEOUT_SECONDS": 5}})}
XSS = "<script>alert(1)</script>"
PAGES = {
    "dashboard": ("/admin/scalejobs/jobs/", "Jobs per minute, last hour"),
    "queues": ("/admin/scalejobs/jobs/queues/", "Latency is how long"),
    "queue": ("/admin/scalejobs/jobs/queues/default/", "ready message"),
    "delayed": ("/admin/scalejobs/jobs/queues/default/?state=delayed", "delayed message"),
    "running": ("/admin/scalejobs/jobs/running/", "running, as of each worker"),
    "dead-letters": ("/admin/scalejobs/jobs/dead-letters/", "dead letter"),
    "workers": ("/admin/scalejobs/jobs/workers/", "alive"),
}


def ran(redis_db) -> list[str]:
    return [entry.decode().split("|")[0] for entry in redis_db.lrange(RECORD, 0, -1)]


def test_staff_open_every_dashboard_page_from_the_menu(staff_page, redis_db, screenshot):
    record.send("waiting")
    record.send_with_options(args=("later",), delay=3_600_000)
    staff_page.goto("/admin/")
    staff_page.get_by_role("link", name="Jobs", exact=True).first.click()
    menu = staff_page.get_by_role("navigation", name="scalejobs pages")
    assert menu.get_by_role("link").first.inner_text() == "Dashboard"
    for name, (path, text) in PAGES.items():
        staff_page.goto(path)
        assert staff_page.get_by_text(text).first.is_visible(), name
        screenshot(staff_page, name)


def test_a_running_exports_progress_bar_advances(staff_page, redis_db, start_worker, screenshot):
    Customer.objects.bulk_create(Customer(email=f"c{n}@example.com", name=f"Customer {n}") for n in range(60))
    export = Export.objects.create()
    start_worker("--processes", "1", "--threads", "2", "--queues", "exports", env=WORKER_ENV)
    export_customers.send(export.pk, seconds_per_row=0.15)
    bar = staff_page.get_by_role("progressbar", name="progress of export_customers")

    def progress_shown() -> int | None:
        staff_page.goto("/admin/scalejobs/jobs/running/")
        return int(bar.get_attribute("aria-valuenow")) if bar.count() else None

    first = wait_for(progress_shown, timeout=60)
    screenshot(staff_page, "export-progress-first")
    wait_for(lambda: (progress_shown() or 0) > first, timeout=60)
    screenshot(staff_page, "export-progress-later")
    assert "customers written" in staff_page.locator("tr[data-message-id]").first.inner_text()


def test_a_dead_letter_retried_from_the_page_is_processed_by_a_worker(staff_page, redis_db, start_worker, screenshot):
    redis_db.set(BROKEN, 1)
    start_worker("--processes", "1", "--threads", "2", env=WORKER_ENV)
    fail_while_broken.send("fixed-later")
    wait_for(lambda: engine().dead_letters.count("default") == 1, timeout=60)
    redis_db.delete(BROKEN)

    staff_page.goto("/admin/scalejobs/jobs/dead-letters/?queue=default")
    assert staff_page.get_by_text("RuntimeError: partner API down for fixed-later").first.is_visible()
    screenshot(staff_page, "dead-letter")
    staff_page.get_by_role("checkbox").first.check()
    staff_page.get_by_role("button", name="Retry selected").click()

    assert staff_page.get_by_text("Retried 1 of 1 selected dead letters").is_visible()
    wait_for(lambda: ran(redis_db) == ["fixed-later"], timeout=60)
    staff_page.reload()
    assert staff_page.get_by_text("0 dead letters in default").is_visible()


def test_a_script_in_job_arguments_is_shown_as_text(staff_page, redis_db, screenshot):
    record.send(XSS)
    dialogs: list[str] = []
    staff_page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    staff_page.goto("/admin/scalejobs/jobs/queues/default/")

    assert staff_page.locator("pre.sj-args").first.inner_text() == json.dumps([XSS], indent=2)
    assert staff_page.locator("script", has_text="alert(1)").count() == 0
    assert dialogs == []
    screenshot(staff_page, "escaped-arguments")
