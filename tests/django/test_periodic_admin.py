"""The periodic admin page: entries, history and leader; pause, resume and run now as logged POSTs."""

import dramatiq
import pytest
from django.contrib.admin.models import LogEntry
from django.test import override_settings
from django.urls import reverse

from scalejobs.leader import leader_lease
from scalejobs.leader.engine import Candidate
from scalejobs.periodic.declarations import declared_entries
from scalejobs.periodic.runner import periodic_scheduler

PAGE = "admin:scalejobs_periodic"
SETTINGS = {
    "PERIODIC": {
        "ENTRIES": {
            "report": {"job": "tests.testapp.tasks.record", "cron": "0 9 * * *", "tz": "Asia/Tokyo", "args": ["report"], "queue": "periodic-admin"},
            "beat": {"job": "tests.testapp.tasks.record", "every": 30, "args": ["beat"], "queue": "periodic-admin"},
        }
    }
}

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_db")]


@pytest.fixture(autouse=True)
def periodic_settings():
    with override_settings(SCALEJOBS=SETTINGS):
        yield


def scheduler_and_entry(name):
    declarations = declared_entries()
    return periodic_scheduler(declarations), next(entry for entry in declarations.entries if entry.name == name)


def sent_to_probe(broker):
    return [dramatiq.Message.decode(raw) for raw in broker.client.hvals(f"{broker.namespace}:periodic-admin.msgs")]


def test_the_page_lists_entries_with_next_runs_local_and_utc_and_the_leader(staff, redis_db):
    leader_lease().bid(Candidate(host="worker-7", pid=4242, token="t"))
    page = staff("view_jobs").get(reverse(PAGE))
    assert page.status_code == 200
    html = page.content.decode()
    assert "worker-7 (pid 4242), leading since" in html
    assert "Asia/Tokyo" in html and "09:00:00 JST" in html and "00:00:00 UTC" in html
    assert "every 30s" in html
    assert "Run now" not in html, "a viewer sees no actions"


def test_pause_and_resume_are_logged_posts_that_change_the_entry(staff):
    client = staff("view_jobs", "manage_jobs")
    response = client.post(reverse("admin:scalejobs_periodic_pause"), {"entry": "beat"})
    assert response.status_code == 302
    scheduler, entry = scheduler_and_entry("beat")
    assert scheduler.states([entry])[0].paused.by == "ada"
    assert "paused by ada" in client.get(reverse(PAGE)).content.decode()
    client.post(reverse("admin:scalejobs_periodic_resume"), {"entry": "beat"})
    assert scheduler.states([entry])[0].paused is None
    assert list(LogEntry.objects.values_list("change_message", flat=True).order_by("pk")) == [
        "Paused periodic entry 'beat'.",
        "Resumed periodic entry 'beat'.",
    ]


def test_run_now_sends_once_even_when_the_form_is_submitted_twice(staff, broker):
    client = staff("view_jobs", "manage_jobs")
    form = {"entry": "report", "request": "form-1"}
    client.post(reverse("admin:scalejobs_periodic_run_now"), form)
    client.post(reverse("admin:scalejobs_periodic_run_now"), form)
    [message] = sent_to_probe(broker)
    assert (message.args, message.options["periodic_entry"], message.options["periodic_tick"]) == (("report",), "report", None)
    page = client.get(reverse(PAGE)).content.decode()
    assert message.message_id in page and "run now" in page
    assert LogEntry.objects.get().change_message == f"Ran periodic entry 'report' now (message {message.message_id})."


def test_actions_need_the_manage_permission_and_a_post(staff):
    viewer = staff("view_jobs")
    assert viewer.post(reverse("admin:scalejobs_periodic_pause"), {"entry": "beat"}).status_code == 403
    assert viewer.get(reverse("admin:scalejobs_periodic_pause")).status_code == 405


def test_the_page_needs_the_view_permission(staff):
    assert staff().get(reverse(PAGE)).status_code == 403


def test_an_unknown_entry_is_not_found(staff):
    client = staff("view_jobs", "manage_jobs")
    assert client.post(reverse("admin:scalejobs_periodic_run_now"), {"entry": "nope"}).status_code == 404


def test_history_shows_what_happened_to_each_tick_and_leader_changes(staff, redis_db):
    scheduler, entry = scheduler_and_entry("beat")
    scheduler.pause(entry, by="grace")
    lease = leader_lease()
    first = Candidate(host="worker-1", pid=1, token="a")
    lease.bid(first)
    lease.release(first)
    html = staff("view_jobs").get(reverse(PAGE)).content.decode()
    assert 'class="periodic-paused"' in html
    assert "clean shutdown" in html and "nobody led" in html


def test_user_text_on_the_page_is_escaped(staff):
    bad = {"PERIODIC": {"ENTRIES": {"x": {"job": "tests.testapp.tasks.record", "cron": "<script>alert(1)</script>"}}}}
    with override_settings(SCALEJOBS=bad):
        html = staff("view_jobs").get(reverse(PAGE)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_an_unreachable_redis_shows_a_notice_instead_of_an_error(staff):
    with override_settings(SCALEJOBS={**SETTINGS, "REDIS_URL": "redis://127.0.0.1:1/0"}):
        page = staff("view_jobs").get(reverse(PAGE))
    assert page.status_code == 200
    assert "Redis unreachable" in page.content.decode()
