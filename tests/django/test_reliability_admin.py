"""The reliability page, "Redis unreachable" on every scalejobs page, and the reliability checks."""

from __future__ import annotations

import re

import dramatiq
import pytest
import redis
from django.contrib.auth.models import Permission
from django.core import checks
from django.test import Client, override_settings
from django.urls import reverse

from scalejobs import store
from scalejobs.store import keyspace
from scalejobs.pages import all_pages
from scalejobs.reliability import OrphanRecovery, delivery_ledger
from scalejobs.reliability.checks import check_reliability
from scalejobs.reliability.values import Poisoned
from scalejobs.middleware import DEFAULT_STACK
from tests.dramatiq_queues import Queues

pytestmark = [pytest.mark.django_db]

ARGUMENT = re.compile(r"<(?:\w+:)?(\w+)>")


@pytest.fixture
def manager(staff) -> Client:
    return staff(*Permission.objects.filter(content_type__app_label="scalejobs").values_list("codename", flat=True))


@pytest.fixture
def redis_down(monkeypatch, redis_db):
    """Point the broker and the store at a socket nobody listens on: Redis is down."""
    broker = dramatiq.get_broker()
    monkeypatch.setattr(broker, "client", redis.Redis.from_url("unix:///nonexistent/scalejobs-redis.sock"))
    store.reset()
    yield
    monkeypatch.undo()
    store.reset()


def url_of(page) -> str:
    return reverse(f"admin:scalejobs_{page.name}", kwargs={name: "default" for name in ARGUMENT.findall(page.route)})


def test_the_reliability_page_shows_recoveries_and_poisoned_messages(manager, redis_db):
    victim = Queues(redis_db)
    victim.send(1)
    victim.fetch()
    redis_db.zadd("dramatiq:__heartbeats__", {victim.broker.broker_id: 0})
    broker = dramatiq.get_broker()
    # Recovery waits until Redis has been up a heartbeat timeout; this Redis may be younger.
    recovery = OrphanRecovery(
        broker.client, keyspace("reliability"), namespace="dramatiq", heartbeat_timeout_ms=broker.heartbeat_timeout, redis_uptime=lambda: 3600.0
    )
    assert recovery.run(["default"]).messages == 1
    delivery_ledger().record_poisoned(Poisoned(message_id="m-<b>1</b>", actor="export", queue="default", deaths=4, at=1_800_000_000.0))

    html = manager.get(reverse("admin:scalejobs_reliability")).content.decode()

    assert '<strong id="recovered-messages">1</strong>' in html
    assert '<strong id="recovered-workers">1</strong>' in html
    assert '<strong id="poisoned-count">1</strong>' in html
    assert victim.broker.broker_id in html and "dead worker" in html
    assert "m-&lt;b&gt;1&lt;/b&gt;" in html and "m-<b>1</b>" not in html
    assert "within 75 s" in " ".join(html.split())
    assert '<span id="silent-bound">11 s</span>' in html


def test_the_reliability_page_shows_each_recovery_of_a_silent_worker_with_its_delay(manager, redis_db):
    broker = dramatiq.get_broker()
    recovery = OrphanRecovery(
        broker.client, keyspace("reliability"), namespace="dramatiq", heartbeat_timeout_ms=60_000, silence_ms=10_000, redis_uptime=lambda: 3600.0
    )
    victim = Queues(redis_db)
    recovery.pulses.pulse(victim.broker.broker_id, queues=["default"], stats_key=recovery.stats_key)
    victim.send(1)
    victim.fetch()
    redis_db.zadd(recovery.pulses.pulses_key, {victim.broker.broker_id: recovery.pulses.now() - 12_500})
    (recovered,) = recovery.run_silent(recovery.silent()).recoveries

    html = " ".join(manager.get(reverse("admin:scalejobs_reliability")).content.decode().split())

    delay = f"{recovered.delay:.1f} s"
    assert f'<strong id="recovery-delay-mean">{delay}</strong>' in html
    assert f'<span id="recovery-delay-max">{delay}</span>' in html
    assert f'<td class="sj-number">{delay} <span class="sj-quiet">after its last pulse</span></td>' in html


def test_the_reliability_page_needs_the_view_permission(django_user_model, client, redis_db):
    client.force_login(django_user_model.objects.create_user("bob", password="pw", is_staff=True))
    assert client.get(reverse("admin:scalejobs_reliability")).status_code == 403


def test_every_scalejobs_page_and_action_says_redis_is_unreachable_instead_of_failing(manager, redis_down):
    seen = []
    for page in all_pages():
        url = url_of(page)
        response = manager.get(url)
        if response.status_code == 405:
            # An action: 404 is fine too, when it names nothing that exists before it needs Redis.
            response = manager.post(url, {"id": "x", "queue": "default", "scope": "matching", "digest": "d", "owner": "o"})
            assert response.status_code in (302, 404, 503), (page.name, response.status_code)
        else:
            assert response.status_code in (200, 503), (page.name, response.status_code)
        if response.status_code in (200, 503):
            assert "Redis unreachable" in response.content.decode(), page.name
        seen.append(page.name)
    response = manager.get(reverse("admin:scalejobs_jobs_changelist"))
    assert response.status_code == 503 and "Redis unreachable" in response.content.decode()
    assert "reliability" in seen and "dashboard" in seen


def test_the_unreachable_page_is_served_with_status_503_inside_the_admin_frame(manager, redis_down):
    response = manager.get(reverse("admin:scalejobs_reliability"))
    assert response.status_code == 503
    html = response.content.decode()
    assert 'id="redis-unreachable"' in html and "scalejobs-menu" in html


def test_the_default_stack_passes_the_reliability_checks():
    assert list(check_reliability()) == []


def test_a_stack_without_reliability_is_warned_about():
    with override_settings(DRAMATIQ_BROKER={"BROKER": "dramatiq.brokers.redis.RedisBroker", "MIDDLEWARE": ["dramatiq.middleware.Retries"]}):
        (warning,) = check_reliability()
    assert warning.id == "scalejobs.W801"


def test_reliability_after_retries_is_an_error():
    stack = [path for path in DEFAULT_STACK if path != "scalejobs.middleware.Reliability"] + ["scalejobs.middleware.Reliability"]
    with override_settings(DRAMATIQ_BROKER={"BROKER": "dramatiq.brokers.redis.RedisBroker", "MIDDLEWARE": stack}):
        assert [message.id for message in check_reliability()] == ["scalejobs.E802"]


def test_a_recovery_slower_than_90_seconds_is_warned_about():
    broker = {"BROKER": "dramatiq.brokers.redis.RedisBroker", "OPTIONS": {"heartbeat_timeout": 80_000}, "MIDDLEWARE": DEFAULT_STACK}
    with override_settings(DRAMATIQ_BROKER=broker, SCALEJOBS={"RELIABILITY": {"RECOVERY_INTERVAL_SECONDS": 15}}):
        assert list(check_reliability()) == [
            checks.Warning(
                "A dead worker's jobs may wait 95 s to be recovered: DRAMATIQ_BROKER['OPTIONS']['heartbeat_timeout'] is 80000 ms "
                "and SCALEJOBS['RELIABILITY']['RECOVERY_INTERVAL_SECONDS'] is 15.0.",
                hint="Keep heartbeat_timeout / 1000 + RECOVERY_INTERVAL_SECONDS at or below 90 s.",
                obj="settings.SCALEJOBS",
                id="scalejobs.W803",
            )
        ]


def test_an_invalid_max_deaths_names_the_setting():
    with override_settings(SCALEJOBS={"RELIABILITY": {"MAX_DEATHS": -1}}):
        (error,) = checks.run_checks()
    assert error.id == "scalejobs.E001"
    assert error.msg == "SCALEJOBS['RELIABILITY']['MAX_DEATHS']: expected an int >= 0, or None, got -1."


def test_a_pulse_longer_than_a_third_of_the_silence_names_both_settings():
    with override_settings(SCALEJOBS={"RELIABILITY": {"SILENCE_SECONDS": 6, "PULSE_SECONDS": 3}}):
        (error,) = checks.run_checks()
    assert error.id == "scalejobs.E001"
    assert error.msg == "SCALEJOBS['RELIABILITY']['PULSE_SECONDS']: expected at most a third of SILENCE_SECONDS, got 3."
