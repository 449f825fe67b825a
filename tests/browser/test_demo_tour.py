"""The README's tour, walked in a real browser against a real ``make demo`` run.

The demo runs as a new user starts it from a script: in the background, with
SIGINT ignored by its shell; its own embedded Valkey, SQLite file and two
emulated ECS tasks. ``SCALEJOBS_SAVE_SCREENSHOTS=1`` writes the screenshots
to ``docs/screenshots/`` for the README; otherwise under the test's tmp dir.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import ROOT, wait_for

pytestmark = pytest.mark.browser

STATE = ROOT / ".demo"
# What the demo chooses for itself, as on a new user's machine: CI's PostgreSQL variant sets
# DATABASE_URL for the test suite, and the demo must still run on its own SQLite file.
DEMO_DECIDES = {"REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE", "SCALEJOBS_TEST_OVERRIDES"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def processes_marked(marker: str) -> list[int]:
    """Return the pids whose environment carries ``marker``: every process the demo started."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


class DemoRun:
    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.marker = f"SCALEJOBS_DEMO_RUN={uuid.uuid4().hex}"
        self.log = tmp_path / "demo.log"
        environment = {key: value for key, value in os.environ.items() if key not in DEMO_DECIDES}
        environment.update(
            DEMO_ADDRESS=f"127.0.0.1:{self.port}",
            SQLITE_PATH=str(tmp_path / "demo.sqlite3"),
            EXPORT_DIR=str(tmp_path / "exports"),
            SCALEJOBS_DEMO_RUN=self.marker.split("=")[1],
        )
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "example_project.demo"],
                cwd=ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                # As `make demo &` from a script: the shell leaves SIGINT ignored.
                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def password(self) -> str:
        found = wait_for(lambda: re.search(r"Login: admin / (\S+)", self.output()), timeout=120, interval=0.5)
        return found.group(1)  # type: ignore[union-attr]

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        environment = {key: value for key, value in os.environ.items() if key not in DEMO_DECIDES}
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)

    def kill(self) -> None:
        for pid in processes_marked(self.marker):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture
def demo(tmp_path):
    run = DemoRun(tmp_path)
    yield run
    run.kill()


@pytest.fixture
def shots(tmp_path) -> Path:
    directory = ROOT / "docs" / "screenshots" if os.environ.get("SCALEJOBS_SAVE_SCREENSHOTS") == "1" else tmp_path / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def test_a_new_user_walks_the_tour_and_stops_the_demo_with_sigint(browser, demo, shots):
    password = demo.password()
    redis_url = (STATE / "redis-url").read_text().strip()
    page = browser.new_context(base_url=f"http://127.0.0.1:{demo.port}", viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(20_000)

    # 1. The shop: sign up, start an export, and double-click it: one job.
    page.goto("/")
    page.fill("#id_name", "Grace Hopper")
    page.fill("#id_email", "grace@example.com")
    page.get_by_role("button", name="Sign up").click()
    assert "Signed up grace@example.com" in page.get_by_role("status").first.inner_text()
    page.get_by_role("button", name="Export customers to CSV").click()
    assert re.search(r"Export #\d+ started", page.get_by_role("status").first.inner_text())
    page.get_by_role("button", name="Export customers to CSV").click()
    assert "already running" in page.get_by_role("status").first.inner_text()
    page.screenshot(path=str(shots / "shop.png"), full_page=True)

    # 2. The admin: the export's progress bar, and the tasks protection holds.
    page.goto("/admin/login/?next=/admin/scalejobs/jobs/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/scalejobs/jobs/")
    page.screenshot(path=str(shots / "dashboard.png"), full_page=True)

    def export_progress() -> bool:
        page.goto("/admin/scalejobs/jobs/running/")
        return page.get_by_role("progressbar", name="progress of export_customers").count() > 0

    wait_for(export_progress, timeout=60, interval=1)
    page.screenshot(path=str(shots / "running.png"), full_page=True)

    def protected() -> bool:
        page.goto("/admin/scalejobs/jobs/protection/")
        return "protected" in page.locator("#content").inner_text().lower()

    wait_for(protected, timeout=60, interval=1)
    page.screenshot(path=str(shots / "protection.png"), full_page=True)

    # 3. The declined payment lands in Dead letters; retry it from there.
    def dead_letter() -> bool:
        page.goto("/admin/scalejobs/jobs/dead-letters/?queue=default")
        return page.get_by_text("charge_card").count() > 0

    wait_for(dead_letter, timeout=90, interval=1)
    page.screenshot(path=str(shots / "dead-letters.png"), full_page=True)
    page.locator("input[name=id]").first.check()
    page.get_by_role("button", name=re.compile("Retry selected")).click()
    assert "Retried 1 of 1 selected" in page.locator("ul.messagelist").inner_text()

    # 4. The import, fanned out into a batch: it finishes, its callback sent once.
    page.goto("/")
    page.get_by_role("button", name="Import customers.csv").click()
    batch_id = re.search(r"in batch (\S+);", page.get_by_role("status").first.inner_text()).group(1)  # type: ignore[union-attr]

    def batch_done() -> bool:
        page.goto(f"/admin/scalejobs/jobs/batches/{batch_id}/")
        return page.locator("#batch-succeeded").inner_text() == "40" and "running" not in page.locator("#batch-facts").inner_text()

    page.goto("/admin/scalejobs/jobs/batches/")
    assert page.get_by_text("Import customers.csv").count() > 0
    page.screenshot(path=str(shots / "batches.png"), full_page=True)
    wait_for(batch_done, timeout=90, interval=1)

    # 5. The throttled partner API, the unique export's lock and the periodic report.
    for name, path, text in (
        ("throttles", "/admin/scalejobs/jobs/throttles/", "partner-api"),
        ("unique", "/admin/scalejobs/jobs/unique/", "export_customers"),
        ("periodic", "/admin/scalejobs/jobs/periodic/", "shop_report"),
    ):
        page.goto(path)
        assert page.get_by_text(text).count() > 0, name
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

    # 6. The autoscaling metrics the leader publishes, as a Prometheus scrape sees them.
    metrics = page.goto("/scalejobs/metrics")
    assert metrics is not None and metrics.status == 200
    assert 'scalejobs_queue_backlog{queue="default"}' in page.content()

    # 7. `scalejobs status` in another terminal finds the demo's Redis.
    status = demo.manage("scalejobs", "status")
    assert status.returncode == 0, status.stderr
    assert "Workers: 2" in status.stdout
    assert "ECS tasks protected" in status.stdout
    page.context.close()

    # 8. SIGINT from a script stops everything and cleans up.
    os.kill(demo.process.pid, signal.SIGINT)
    assert demo.process.wait(120) == 0, demo.output()
    assert not (STATE / "redis-url").exists()
    assert not Path(redis_url.removeprefix("unix://")).parent.exists()
    wait_for(lambda: not processes_marked(demo.marker), timeout=30, interval=0.5)
