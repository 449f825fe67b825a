"""The dashboard pages, permission by permission: who sees what, who may act, and what acting does."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.core import checks
from django.test import Client, override_settings
from django.urls import reverse

from scalejobs import pages
from scalejobs.dashboard import engine
from scalejobs.dashboard.checks import check_dashboard
from scalejobs.kernel.dead_letters import Failure
from tests.dramatiq_queues import Queues

pytestmark = [pytest.mark.django_db]

PAGES = [
    reverse("admin:scalejobs_jobs_changelist"),
    reverse("admin:scalejobs_dashboard"),
    reverse("admin:scalejobs_dashboard_queues"),
    reverse("admin:scalejobs_dashboard_queue", args=["default"]),
    reverse("admin:scalejobs_dashboard_queue", args=["default"]) + "?state=delayed",
    reverse("admin:scalejobs_dashboard_running"),
    reverse("admin:scalejobs_dashboard_dead_letters"),
    reverse("admin:scalejobs_dashboard_workers"),
]
ACTIONS = [
    (reverse("admin:scalejobs_dashboard_delete_message", args=["default"]), {"id": "x"}),
    (reverse("admin:scalejobs_dashboard_enqueue_now", args=["default"]), {"id": "x"}),
    (reverse("admin:scalejobs_dashboard_retry_dead_letters"), {"queue": "default", "scope": "matching"}),
    (reverse("admin:scalejobs_dashboard_delete_dead_letters"), {"queue": "default", "scope": "matching"}),
]
XSS = "<script>alert(1)</script>"


@pytest.fixture
def queues(redis_db):
    return Queues(redis_db)


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_visitors_are_sent_to_the_admin_login(client, url, redis_db):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("url", PAGES)
def test_staff_without_the_view_permission_are_refused(staff, url, redis_db):
    assert staff().get(url).status_code == 403


@pytest.mark.parametrize("url", PAGES)
def test_the_view_permission_opens_every_page(staff, url, redis_db):
    assert staff("view_jobs").get(url).status_code == 200


@pytest.mark.parametrize(("url", "data"), ACTIONS)
def test_viewers_cannot_act(staff, url, data, redis_db):
    assert staff("view_jobs").post(url, data).status_code == 403
    assert not LogEntry.objects.exists()


@pytest.mark.parametrize(("url", "data"), ACTIONS)
def test_actions_answer_only_posts(staff, url, data, redis_db):
    assert staff("view_jobs", "manage_jobs").get(url).status_code == 405


@pytest.mark.parametrize(("url", "data"), ACTIONS)
def test_actions_need_the_csrf_token(staff, url, data, redis_db):
    client = staff("view_jobs", "manage_jobs", client=Client(enforce_csrf_checks=True))
    assert client.post(url, data).status_code == 403


@pytest.mark.parametrize(("url", "data"), ACTIONS)
def test_every_action_of_a_manager_leaves_an_admin_log_entry(staff, url, data, redis_db):
    response = staff("view_jobs", "manage_jobs").post(url, data)
    assert response.status_code == 302
    assert LogEntry.objects.count() == 1


def test_the_dashboard_heads_the_menu_and_is_the_scalejobs_index(staff, redis_db):
    assert pages.all_pages()[0].name == "dashboard"
    html = staff("view_jobs").get(reverse("admin:scalejobs_jobs_changelist")).content.decode()
    assert "Jobs per minute, last hour" in html
    assert '<svg class="sj-chart"' in html


def test_job_arguments_are_shown_escaped_everywhere(staff, queues, redis_db):
    queues.send(XSS)
    queues.send(XSS, delay_ms=3_600_000)
    queues.send(XSS, queue="failing")
    queues.kill("failing")
    client = staff("view_jobs", "manage_jobs", "view_job_arguments")
    urls = [
        reverse("admin:scalejobs_dashboard_queue", args=["default"]),
        reverse("admin:scalejobs_dashboard_queue", args=["default"]) + "?state=delayed",
        reverse("admin:scalejobs_dashboard_dead_letters") + "?queue=failing",
    ]
    for url in urls:
        html = client.get(url).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
        assert XSS not in html, url


def test_a_viewer_sees_no_action_buttons(staff, queues, redis_db):
    queues.send("x")
    html = staff("view_jobs").get(reverse("admin:scalejobs_dashboard_queue", args=["default"])).content.decode()
    assert 'value="Delete"' not in html


def test_deleting_a_ready_message_removes_it_and_logs_its_message_id(staff, queues, redis_db):
    message = queues.send("bye")
    redis_id = message.options["redis_message_id"]
    response = staff("view_jobs", "manage_jobs").post(
        reverse("admin:scalejobs_dashboard_delete_message", args=["default"]), {"id": redis_id, "state": "ready", "next": "/admin/"}
    )
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert engine().queues.ready("default").total == 0
    assert LogEntry.objects.get().change_message == f"Deleted ready message {message.message_id} of queue 'default'."


def test_an_action_never_redirects_off_site(staff, redis_db):
    response = staff("view_jobs", "manage_jobs").post(
        reverse("admin:scalejobs_dashboard_delete_message", args=["default"]), {"id": "x", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("admin:scalejobs_dashboard_queue", args=["default"])


def test_enqueue_now_moves_a_delayed_message_to_ready(staff, queues, redis_db):
    message = queues.send("soon", delay_ms=3_600_000)
    staff("view_jobs", "manage_jobs").post(
        reverse("admin:scalejobs_dashboard_enqueue_now", args=["default"]), {"id": message.options["redis_message_id"]}
    )
    [ready] = engine().queues.ready("default").items
    assert ready.message_id == message.message_id
    assert LogEntry.objects.get().change_message == f"Moved delayed message {message.message_id} of queue 'default' to ready."


def test_retrying_selected_dead_letters_sends_them_back(staff, queues, redis_db):
    first, second = queues.send("a"), queues.send("b")
    queues.kill(count=2)
    response = staff("view_jobs", "manage_jobs").post(
        reverse("admin:scalejobs_dashboard_retry_dead_letters"),
        {"queue": "default", "scope": "selected", "id": [first.options["redis_message_id"]]},
    )
    assert response["Location"] == reverse("admin:scalejobs_dashboard_dead_letters") + "?queue=default"
    assert [message.args for message in engine().queues.ready("default").items] == [["a"]]
    assert engine().dead_letters.count("default") == 1
    assert LogEntry.objects.get().change_message == f"Retried 1 of 1 selected dead letters of queue 'default': {first.message_id}."


def test_deleting_all_dead_letters_matching_a_filter_spares_the_rest(staff, queues, redis_db):
    for actor in ("export", "export", "welcome"):
        queues.send(actor=actor)
    queues.kill(count=3)
    staff("view_jobs", "manage_jobs").post(
        reverse("admin:scalejobs_dashboard_delete_dead_letters"), {"queue": "default", "scope": "matching", "actor": "export"}
    )
    assert [letter.message.actor for letter in engine().dead_letters.page("default").items] == ["welcome"]
    assert LogEntry.objects.get().change_message == "Deleted 2 dead letters of queue 'default' matching actor='export' error=''."


def test_the_dead_letter_page_shows_the_failure_and_its_traceback(staff, queues, redis_db):
    message = queues.send("x")
    queues.kill()
    failure = Failure(error="ValueError: row 7 is bad", traceback="Traceback (most recent call last):\n  File 'x'\nValueError: row 7 is bad", failed_at=1.0, worker="box:1")
    engine().dead_letters.record_failure(message.options["redis_message_id"], failure, ttl_ms=60_000)
    html = staff("view_jobs", "view_job_arguments").get(reverse("admin:scalejobs_dashboard_dead_letters")).content.decode()
    assert "ValueError: row 7 is bad" in html and "File &#x27;x&#x27;" in html and "on box:1" in html


def test_a_url_that_cannot_name_a_queue_is_not_found(staff, redis_db):
    client = staff("view_jobs")
    assert client.get(reverse("admin:scalejobs_dashboard_queue", args=["default.DQ"])).status_code == 404
    assert client.get(reverse("admin:scalejobs_dashboard_dead_letters") + "?queue=a:b").status_code == 404


def test_default_settings_pass_the_dashboard_checks():
    assert list(check_dashboard()) == []


def test_a_worker_timeout_under_two_heartbeats_is_an_error():
    with override_settings(SCALEJOBS={"DASHBOARD": {"HEARTBEAT_SECONDS": 10, "WORKER_TIMEOUT_SECONDS": 15}}):
        assert list(check_dashboard()) == [
            checks.Error(
                "SCALEJOBS['DASHBOARD']['WORKER_TIMEOUT_SECONDS'] is 15, less than two heartbeats of 10 s: "
                "live workers would flicker off the Workers page.",
                hint="Set SCALEJOBS['DASHBOARD']['WORKER_TIMEOUT_SECONDS'] to at least twice HEARTBEAT_SECONDS.",
                obj="settings.SCALEJOBS",
                id="scalejobs.E601",
            )
        ]


def test_a_stack_without_the_dashboard_middleware_and_a_non_redis_broker_are_warned_about(settings):
    broker = {"BROKER": "dramatiq.brokers.stub.StubBroker", "MIDDLEWARE": ["dramatiq.middleware.Retries"]}
    with override_settings(DRAMATIQ_BROKER=broker):
        assert [message.id for message in check_dashboard()] == ["scalejobs.W601", "scalejobs.W602"]


@pytest.mark.parametrize("delay", [None, 3_600_000])
def test_deleting_a_queued_unique_job_frees_its_lock_at_once(staff, redis_db, delay):
    from scalejobs import DuplicateJob
    from tests.testapp.unique_tasks import unique_record

    message = unique_record.send_with_options(args=("only-once",), delay=delay)
    with pytest.raises(DuplicateJob):
        unique_record.send("only-once")
    state = "delayed" if delay else "ready"
    staff("view_jobs", "manage_jobs").post(
        reverse("admin:scalejobs_dashboard_delete_message", args=["unique"]), {"id": message.options["redis_message_id"], "state": state}
    )
    assert unique_record.send("only-once").message_id != message.message_id
