"""The Batches admin pages, ``manage.py scalejobs status``'s batches, the batch checks and settings."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

import scalejobs
from scalejobs.batch import engine_from_settings
from scalejobs.batch.checks import check_batch
from scalejobs.conf import build
from scalejobs.errors import ConfigurationError
from scalejobs.middleware import DEFAULT_STACK

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("broker")]


@pytest.fixture
def viewer_client(staff) -> Client:
    return staff("view_jobs")


def running_batch_with_a_dead_job() -> scalejobs.Batch:
    engine = engine_from_settings()
    batch = scalejobs.Batch("Import <customers>.csv")
    engine.open(batch.id, "h", create={"description": batch.description})
    engine.add(batch.id, ["m1", "m2", "m3"])
    engine.release(batch.id, "h")
    engine.settle(batch.id, "m1", "S")
    engine.settle(batch.id, "m2", "D", origin="import_row|imports")
    return batch


def test_the_batches_page_lists_running_and_finished_batches_with_progress(viewer_client, redis_db):
    running = running_batch_with_a_dead_job()
    with scalejobs.Batch("Nightly export", on_commit=False) as finished:
        pass

    html = viewer_client.get(reverse("admin:scalejobs_batches")).content.decode()

    running_table = html[html.index('id="running-batches"') : html.index('id="finished-batches"')]
    assert "Import &lt;customers&gt;.csv" in running_table and "<customers>" not in html
    assert 'aria-valuenow="66"' in running_table and "2 / 3 (66%)" in running_table
    assert reverse("admin:scalejobs_batch", args=[running.id]) in running_table
    assert "Nightly export" in html[html.index('id="finished-batches"') :]
    assert reverse("admin:scalejobs_batch", args=[finished.id]) in html


def test_the_detail_page_shows_counts_and_links_each_dead_job_to_its_dead_letters(viewer_client, redis_db):
    batch = running_batch_with_a_dead_job()

    html = viewer_client.get(reverse("admin:scalejobs_batch", args=[batch.id])).content.decode()

    assert '<strong id="batch-total">3</strong>' in html
    assert '<strong id="batch-succeeded">1</strong>' in html
    assert '<strong id="batch-dead">1</strong>' in html
    assert '<strong id="batch-pending">1</strong>' in html
    assert "<code>m2</code>" in html
    assert reverse("admin:scalejobs_dashboard_dead_letters") + "?queue=imports&amp;actor=import_row" in html


def test_an_unknown_batch_is_not_found(viewer_client, redis_db):
    assert viewer_client.get(reverse("admin:scalejobs_batch", args=["nope"])).status_code == 404


def test_the_pages_need_the_view_permission(django_user_model, redis_db):
    user = django_user_model.objects.create_user("bob", password="pw", is_staff=True)
    client = Client()
    client.force_login(user)
    assert client.get(reverse("admin:scalejobs_batches")).status_code == 403


def test_status_lists_running_batches(redis_db):
    batch = running_batch_with_a_dead_job()
    out = StringIO()
    call_command("scalejobs", "status", stdout=out)
    lines = out.getvalue().splitlines()
    assert "Batches running: 1" in lines
    assert f"  {batch.id}  2/3 done (66%), 1 pending, 1 failed, 1 dead  Import <customers>.csv" in lines


def test_the_default_stack_passes_the_batch_checks():
    assert list(check_batch()) == []


def test_a_stack_without_batches_is_warned_about_and_batches_after_retries_is_an_error():
    broker = {"BROKER": "dramatiq.brokers.redis.RedisBroker", "MIDDLEWARE": ["dramatiq.middleware.Retries"]}
    with override_settings(DRAMATIQ_BROKER=broker):
        assert [message.id for message in check_batch()] == ["scalejobs.W1001"]
    stack = [path for path in DEFAULT_STACK if path != "scalejobs.middleware.Batches"] + ["scalejobs.middleware.Batches"]
    with override_settings(DRAMATIQ_BROKER={**broker, "MIDDLEWARE": stack}):
        assert [message.id for message in check_batch()] == ["scalejobs.E1002"]


def test_the_expiry_setting_must_be_a_positive_number_of_days():
    assert build({"BATCH": {"EXPIRY_DAYS": 7}}).batch.expiry_days == 7.0
    with pytest.raises(ConfigurationError) as raised:
        build({"BATCH": {"EXPIRY_DAYS": 0}})
    assert str(raised.value).startswith("SCALEJOBS['BATCH']['EXPIRY_DAYS']: expected a positive number of days, got 0")


def test_a_finished_batch_expires_after_the_configured_days(redis_db):
    with override_settings(SCALEJOBS={"BATCH": {"EXPIRY_DAYS": 2}}):
        with scalejobs.Batch("short-lived", on_commit=False) as batch:
            pass
        assert 2 * 86400 - 60 < redis_db.ttl(f"scalejobs:batch:{batch.id}") <= 2 * 86400
