"""The unique-locks and throttles admin pages: what they show, who may see them, the logged release."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from scalejobs import Concurrency, Window
from scalejobs.throttle import throttles
from scalejobs.unique import unique_jobs

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_db")]


def test_the_unique_page_lists_each_lock_with_key_holder_and_ttl(staff):
    unique_jobs().acquire("d1", "msg-1", 90, actor="export", label="export@default:[[7],{}]")
    html = staff("view_jobs", "view_job_arguments").get(reverse("admin:scalejobs_unique")).content.decode()
    assert "export@default:[[7],{}]" in html and "msg-1" in html and ">90 s<" in html
    assert "Release" not in html  # viewing does not allow acting


def test_user_text_in_a_lock_label_is_escaped(staff):
    unique_jobs().acquire("d1", "msg-1", 90, actor="export", label="<script>alert(1)</script>")
    html = staff("view_jobs", "view_job_arguments").get(reverse("admin:scalejobs_unique")).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_a_manager_releases_a_lock_and_the_action_is_logged(staff):
    unique_jobs().acquire("d1", "msg-1", 90, actor="export", label="export")
    client = staff("view_jobs", "manage_jobs")
    response = client.post(reverse("admin:scalejobs_unique_release"), {"digest": "d1", "owner": "msg-1"})
    assert response.status_code == 302
    assert unique_jobs().holder("d1") is None
    assert LogEntry.objects.get().change_message == "Released unique lock d1 held by message msg-1."


def test_release_names_the_holder_so_a_lock_that_changed_hands_is_kept(staff):
    unique_jobs().acquire("d1", "msg-2", 90)
    staff("view_jobs", "manage_jobs").post(reverse("admin:scalejobs_unique_release"), {"digest": "d1", "owner": "msg-1"})
    assert unique_jobs().holder("d1") == "msg-2"
    assert not LogEntry.objects.exists()


def test_release_needs_the_manage_permission_and_a_post(staff):
    unique_jobs().acquire("d1", "msg-1", 90)
    client = staff("view_jobs")
    assert client.post(reverse("admin:scalejobs_unique_release"), {"digest": "d1", "owner": "msg-1"}).status_code == 403
    assert client.get(reverse("admin:scalejobs_unique_release")).status_code == 405
    assert unique_jobs().holder("d1") == "msg-1"


def test_the_pages_need_the_view_permission(staff):
    client = staff()
    assert client.get(reverse("admin:scalejobs_unique")).status_code == 403
    assert client.get(reverse("admin:scalejobs_throttles")).status_code == 403


def test_the_throttles_page_shows_use_limit_postponements_and_reclaimed_slots(staff):
    engine = throttles()
    engine.acquire([Concurrency(2, key="partner-api").claim("")], "a")
    window = Window(1, per=60).claim("report")
    engine.acquire([window], "b")
    engine.acquire([window], "c")  # refused: one postponement
    html = staff("view_jobs").get(reverse("admin:scalejobs_throttles")).content.decode()
    assert 'data-limiter="concurrency:partner-api"' in html and 'data-limiter="window:60000:report"' in html
    assert "window per 60 s" in html
    row = html.split('data-limiter="window:60000:report"')[1].split("</tr>")[0]
    assert [cell.strip() for cell in row.split("<td>")[1:]][2:5] == ["1</td>", "1</td>", "1</td>"]
