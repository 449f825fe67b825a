"""Job arguments on the admin pages: hidden without view_job_arguments, "encrypted" for everyone when sealed."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse

from scalejobs.clock import system_clock
from scalejobs.dashboard import engine
from scalejobs.dashboard.heartbeat import Heartbeat, Identity
from scalejobs.dashboard.running import RunningJobs
from scalejobs.kernel.dead_letters import Failure
from scalejobs.encryption import SEALED, keyring
from scalejobs.unique import unique_jobs
from tests.dramatiq_queues import Queues
from tests.testapp.encryption_tasks import sealed_record

pytestmark = [pytest.mark.django_db]

SECRET = "reset-link-https://shop.example.com/reset/Zm9vYmFy"
SEALED_SECRET = "sealed-card-4242424242424242"
PAGES = [
    reverse("admin:scalejobs_dashboard_queue", args=["default"]),
    reverse("admin:scalejobs_dashboard_queue", args=["default"]) + "?state=delayed",
    reverse("admin:scalejobs_dashboard_running"),
    reverse("admin:scalejobs_dashboard_dead_letters") + "?queue=default",
    reverse("admin:scalejobs_unique"),
]


@pytest.fixture
def jobs_everywhere(broker, redis_db):
    """Put a plain job holding SECRET, and a sealed one, on every page that shows jobs."""
    queues = Queues(redis_db)
    queues.send(SECRET)
    queues.send(SECRET, delay_ms=3_600_000, traceback=f"Traceback ...\nValueError: bad {SECRET}")
    dead = queues.send(SECRET)
    queues.kill()
    failure = Failure(error=f"ValueError: cannot send to {SECRET}", traceback=f"ValueError: {SECRET}", failed_at=1.0, worker="box:1")
    engine().dead_letters.record_failure(dead.options["redis_message_id"], failure, ttl_ms=60_000)
    sealed_record.send(SEALED_SECRET)
    sealed_record.send_with_options(args=(SEALED_SECRET,), delay=3_600_000)
    running = RunningJobs(system_clock)
    running.start(message_id="m-plain", queue="default", actor="record", args=[SECRET], kwargs={})
    running.start(message_id="m-sealed", queue="default", actor="sealed_record", args=[], kwargs={SEALED: keyring().seal([SEALED_SECRET], {})})
    identity = Identity(worker_id="w1", host="box", pid=1, queues=("default",), threads=2, started_at=1.0, ecs_task_arn=None)
    Heartbeat(
        board=engine().workers, identity=identity, running=running, counter=None, clock=system_clock, interval=1.0, retention_seconds=3600
    ).beat()
    unique_jobs().acquire("d1", "m-plain", 90, actor="record", label=f"record@default:[[{SECRET!r}],{{}}]")


@pytest.mark.parametrize("url", PAGES)
def test_a_view_only_user_sees_no_argument_or_error_detail_on_any_page(staff, jobs_everywhere, url):
    response = staff("view_jobs").get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert SECRET not in html and "Zm9vYmFy" not in html
    assert SEALED_SECRET not in html
    if "unique" not in url:
        assert 'data-arguments="hidden"' in html


@pytest.mark.parametrize("url", PAGES[:4])
def test_the_arguments_permission_shows_plain_arguments_and_sealed_ones_stay_encrypted(staff, jobs_everywhere, url):
    html = staff("view_jobs", "view_job_arguments").get(url).content.decode()

    assert SECRET in html
    assert SEALED_SECRET not in html
    if "dead-letters" not in url:
        assert 'data-arguments="encrypted"' in html


def test_the_arguments_permission_shows_the_unique_key(staff, jobs_everywhere):
    assert SECRET in staff("view_jobs", "view_job_arguments").get(reverse("admin:scalejobs_unique")).content.decode()


def test_a_superuser_sees_sealed_arguments_only_as_encrypted(django_user_model, jobs_everywhere):
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("root", password="pw"))
    html = client.get(reverse("admin:scalejobs_dashboard_queue", args=["default"])).content.decode()

    assert SECRET in html
    assert SEALED_SECRET not in html and 'data-arguments="encrypted"' in html


def test_the_manage_permission_alone_cannot_act(staff, redis_db):
    url = reverse("admin:scalejobs_dashboard_delete_dead_letters")

    assert staff("manage_jobs").post(url, {"queue": "default", "scope": "matching"}).status_code == 403
    assert not LogEntry.objects.exists()
