"""``manage.py scalejobs status`` prints queues, workers, throughput, leader and protection."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from scalejobs.dashboard import engine
from scalejobs.dashboard.values import WorkerInfo
from tests.dramatiq_queues import Queues


def status() -> str:
    out = io.StringIO()
    call_command("scalejobs", "status", stdout=out)
    return out.getvalue()


def test_status_prints_each_queue_each_worker_the_leader_and_protection(redis_db):
    queues = Queues(redis_db)
    queues.send("a")
    queues.send("b", queue="exports")
    queues.kill("exports")
    worker = WorkerInfo(worker_id="w", host="ip-10-0-0-7", pid=31, queues=("default",), threads=8, started_at=1.0, last_heartbeat=engine().clock())
    engine().workers.beat(worker)

    lines = status().splitlines()

    assert lines[0] == "Queues:"
    default = next(line for line in lines if line.strip().startswith("default"))
    exports = next(line for line in lines if line.strip().startswith("exports"))
    assert default.split()[:5] == ["default", "1", "0", "0", "0"]
    assert exports.split()[:5] == ["exports", "0", "0", "0", "1"]
    assert "Workers: 1 (0/8 threads busy)" in lines
    assert any(line.strip().startswith("ip-10-0-0-7 pid 31  queues default  busy 0/8  running") for line in lines)
    assert "Last hour: 0 processed, 0 failed" in lines
    assert lines[-3] == "Leader: nobody"
    assert lines[-2].startswith("Protection: ")
    assert lines[-1] == "Batches running: 0"


def test_the_command_asks_for_a_subcommand(redis_db):
    with pytest.raises(CommandError, match="Name a subcommand: status, health or metrics."):
        call_command("scalejobs")


def health(*args: str) -> str:
    out = io.StringIO()
    call_command("scalejobs", "health", *args, stdout=out)
    return out.getvalue()


def test_health_passes_while_a_worker_of_this_host_beats(redis_db):
    worker = WorkerInfo(worker_id="w", host="worker-host", pid=7, queues=("default",), threads=8, started_at=1.0, last_heartbeat=engine().clock())
    engine().workers.beat(worker)

    assert health("--host", "worker-host").strip() == "1 worker processes alive on worker-host (0/8 threads busy)"


def test_health_fails_when_no_worker_of_this_host_is_alive(redis_db):
    worker = WorkerInfo(worker_id="w", host="another-host", pid=7, queues=("default",), threads=8, started_at=1.0, last_heartbeat=engine().clock())
    engine().workers.beat(worker)

    with pytest.raises(CommandError, match="No live worker process on host 'worker-host'."):
        health("--host", "worker-host")
@pytest.mark.django_db
def test_status_and_the_dashboard_count_the_jobs_recovered_from_dead_workers_with_their_longest_delay(redis_db, django_user_model, client):
    now = engine().clock()
    engine().throughput.count_recovery(at=now, messages=8, delay=10.9)
    engine().throughput.count_recovery(at=now, messages=2, delay=4.2)

    assert "Last hour: 0 processed, 0 failed, 10 recovered from dead workers, longest 10.9s after death" in status().splitlines()
    user = django_user_model.objects.create_superuser("ada", password="pw")
    client.force_login(user)
    html = " ".join(client.get(reverse("admin:scalejobs_dashboard")).content.decode().split())
    assert "<strong>10</strong>" in html and "from dead workers, last hour (longest 10.9 s after death)" in html
