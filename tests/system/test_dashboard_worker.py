"""A real worker reports to the dashboard: heartbeats, progress, counts, failures; and honours its moves."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from scalejobs.dashboard import engine
from tests.conftest import wait_for
from tests.testapp.dashboard_tasks import crawl, fail, release_key
from tests.testapp.tasks import RECORD, record

pytestmark = pytest.mark.system

DASHBOARD = {"HEARTBEAT_SECONDS": 0.2, "WORKER_TIMEOUT_SECONDS": 5}
WORKER_ENV = {"SCALEJOBS_TEST_OVERRIDES": json.dumps({"DASHBOARD": DASHBOARD})}


@pytest.fixture(autouse=True)
def fast_heartbeats():
    with override_settings(SCALEJOBS={"DASHBOARD": DASHBOARD}):
        yield


def ran(redis_db) -> list[str]:
    return [entry.decode().split("|")[0] for entry in redis_db.lrange(RECORD, 0, -1)]


def test_a_worker_reports_itself_its_jobs_progress_counts_and_failures(broker, redis_db, start_worker):
    worker = start_worker("--processes", "1", "--threads", "2", env=WORKER_ENV)
    dashboard = engine()
    [seen] = wait_for(lambda: dashboard.workers.workers())
    assert (seen.pid != worker.pid, seen.threads, "default" in seen.queues) == (True, 2, True)

    message = crawl.send("slow", 1000)
    wait_for(lambda: (dashboard.progress_of([message.message_id]).get(message.message_id) or None))
    first = dashboard.progress_of([message.message_id])[message.message_id]
    wait_for(lambda: dashboard.progress_of([message.message_id])[message.message_id].done > first.done)
    [job] = dashboard.workers.running()
    assert (job.actor, job.args, job.progress.total, job.progress.message.startswith("step")) == ("crawl", ["slow", 1000], 1000, True)

    redis_db.set(release_key("slow"), 1)
    failed = fail.send("on purpose")
    wait_for(lambda: dashboard.dead_letters.count("default") == 1 and ran(redis_db) == ["slow"])
    [letter] = wait_for(lambda: [d for d in dashboard.dead_letters.page("default").items if d.failure])
    assert letter.message.message_id == failed.message_id
    assert letter.error == "ValueError: failing on purpose: on purpose"
    assert 'raise ValueError(f"failing on purpose: {token}")' in letter.traceback

    wait_for(lambda: sum(m.processed for m in dashboard.throughput.minutes(5)) == 1)
    wait_for(lambda: sum(m.failed for m in dashboard.throughput.minutes(5)) == 1)
    assert dashboard.workers.running() == []

    worker.stop()
    assert dashboard.workers.workers() == []


def test_enqueue_now_of_a_delayed_message_a_worker_holds_runs_it_once(broker, redis_db, start_worker):
    worker = start_worker("--processes", "1", "--threads", "2", env=WORKER_ENV)
    dashboard = engine()
    wait_for(lambda: dashboard.workers.workers())
    message = record.send_with_options(args=("once",), delay=7_000)
    redis_id = message.options["redis_message_id"]
    wait_for(lambda: redis_db.llen("dramatiq:default.DQ") == 0)  # the worker holds it in memory now

    assert dashboard.queues.promote("default", redis_id).value == "done"
    wait_for(lambda: ran(redis_db) == ["once"])

    def stale_copy_handled() -> bool:
        held = sum(redis_db.scard(key) for key in redis_db.scan_iter("dramatiq:__acks__.*.default.DQ"))
        return held == 0 and redis_db.hlen("dramatiq:default.msgs") == 0

    wait_for(stale_copy_handled, timeout=60)
    assert ran(redis_db) == ["once"]
    # The worker acks the stale copy before its log line reaches the file: poll for it.
    wait_for(lambda: "was skipped" in worker.output(), timeout=10)
