"""The "Protected tasks" admin page: live tasks, their jobs, last call and history; view permission only."""

import pytest
from django.urls import reverse

from scalejobs.testing.clock import FrozenClock
from scalejobs.protection.engine import Policy, TaskProtection
from scalejobs.protection.runtime import ledger
from scalejobs.protection.transport import Outcome, TaskIdentity

PAGE = "admin:scalejobs_protection"
TASK = "arn:aws:ecs:eu-west-1:123456789012:task/workers/0123456789abcdef"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_db")]


class Agreeable:
    name = "agent"

    def __init__(self, clock, answers=()):
        self.clock, self.answers = clock, list(answers)

    def update(self, *, enabled, expires_minutes):
        if self.answers:
            return self.answers.pop(0)
        return Outcome(kind="protection", enabled=enabled, expires_at=self.clock() + expires_minutes * 60 if enabled else None)


def worker(task=TASK, answers=()):
    import time

    clock = FrozenClock(time.time())
    engine = TaskProtection(
        ledger=ledger(),
        transport=Agreeable(clock, answers),
        identify=lambda: TaskIdentity(task_arn=task, cluster="workers"),
        policy=Policy(process_timeout=60.0, tick=1.0),
        clock=clock,
    )
    engine.tick()
    return engine


def test_the_page_shows_a_protected_task_with_its_jobs_last_call_and_history(staff):
    engine = worker()
    engine.claim(1, message_id="m-1", actor="export_customers", time_limit=600)
    engine.tick()
    html = staff("view_jobs").get(reverse(PAGE)).content.decode()
    assert TASK in html
    assert '<td class="sj-protected">yes</td>' in html
    assert "export_customers" in html and "m-1" in html
    assert "enable → <strong>ok</strong>" in html
    assert "protected until" in html


def test_a_failed_call_and_the_switch_off_show_on_the_page(staff):
    refusal = Outcome(kind="failure", status=200, code="TASK_NOT_VALID", message="Task is not part of a service")
    engine = worker(answers=[refusal])
    engine.claim(1, message_id="m-1", actor="export_customers", time_limit=600)
    html = staff("view_jobs").get(reverse(PAGE)).content.decode()
    assert '<td class="sj-protected">no</td>' in html
    assert "switched off" in html and "TASK_NOT_VALID" in html and "Task is not part of a service" in html


def test_a_stopped_task_drops_out_of_the_list(staff, redis_db):
    engine = worker()
    redis_db.delete(ledger().keys("task", TASK, "alive"))
    html = staff("view_jobs").get(reverse(PAGE)).content.decode()
    assert TASK not in html and "No ECS task runs workers" in html
    assert engine.task is not None


def test_job_names_are_escaped(staff):
    engine = worker()
    engine.claim(1, message_id="<b>id</b>", actor="<script>alert(1)</script>", time_limit=None)
    engine.tick()
    html = staff("view_jobs").get(reverse(PAGE)).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_page_needs_the_view_permission(staff, client):
    assert staff().get(reverse(PAGE)).status_code == 403


def test_the_page_needs_a_staff_login(client):
    response = client.get(reverse(PAGE))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_running_jobs_reported_progress_shows_beside_it(staff):
    import time

    from scalejobs import dashboard
    from scalejobs.dashboard.values import Progress, RunningJob, WorkerInfo

    engine = worker()
    engine.claim(1, message_id="m-2", actor="export_customers", time_limit=600)
    engine.tick()
    now = time.time()
    job = RunningJob(
        message_id="m-2", queue="exports", actor="export_customers", args=(), kwargs={}, started_at=now,
        progress=Progress(done=7, total=20, message="rows written", updated_at=now), worker_id="w-1", host="h", pid=1,
    )
    info = WorkerInfo(worker_id="w-1", host="h", pid=1, queues=("exports",), threads=8, started_at=now, last_heartbeat=now, running=(job,))
    dashboard.engine().workers.beat(info)
    html = staff("view_jobs").get(reverse(PAGE)).content.decode()
    assert "7 / 20 rows written" in " ".join(html.split())
