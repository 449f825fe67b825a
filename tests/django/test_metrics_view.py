"""GET /scalejobs/metrics: open to the bearer token and to staff with view_jobs, 403 to anyone else; the command prints the same."""

from __future__ import annotations

import io
import json

import pytest
import redis
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from scalejobs.metrics.checks import check_metrics
from tests.dramatiq_queues import Queues

pytestmark = [pytest.mark.django_db]

TOKEN = "s3cret-token-of-the-scraper"
URL = "/scalejobs/metrics"


@pytest.fixture(autouse=True)
def token():
    with override_settings(SCALEJOBS={"METRICS": {"TOKEN": TOKEN}}):
        yield


@pytest.fixture
def backlog(redis_db):
    queues = Queues(redis_db)
    for number in range(4):
        queues.send(number)
    queues.send("x", queue="exports")


def user(django_user_model, *permissions: str, staff: bool = True) -> Client:
    client = Client()
    found = django_user_model.objects.create_user(f"user{django_user_model.objects.count()}", password="pw", is_staff=staff)
    found.user_permissions.set(Permission.objects.filter(codename__in=permissions, content_type__app_label="scalejobs"))
    client.force_login(found)
    return client


def backlog_of(response) -> dict[str, float]:
    families = {family.name: family for family in text_string_to_metric_families(response.content.decode())}
    return {sample.labels["queue"]: sample.value for sample in families["scalejobs_queue_backlog"].samples}


def test_the_url_is_served_by_including_scalejobs_urls():
    assert reverse("scalejobs:metrics") == URL


def test_the_bearer_token_opens_the_metrics(backlog):
    response = Client().get(URL, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    # Queues that other tests' actors declared in this process read 0.
    assert {queue: value for queue, value in backlog_of(response).items() if value} == {"default": 4, "exports": 1}


def test_staff_with_view_jobs_see_the_metrics(django_user_model, backlog):
    response = user(django_user_model, "view_jobs").get(URL)
    assert (response.status_code, backlog_of(response)["default"]) == (200, 4)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token-of-the-same-size!"}, {"Authorization": TOKEN}, {"Authorization": f"Basic {TOKEN}"}],
    ids=["anonymous", "wrong token", "no scheme", "other scheme"],
)
def test_anyone_else_is_refused(headers):
    response = Client().get(URL, headers=headers)
    assert response.status_code == 403
    assert b"scalejobs_" not in response.content


def test_staff_without_view_jobs_and_users_with_it_who_are_not_staff_are_refused(django_user_model):
    assert user(django_user_model).get(URL).status_code == 403
    assert user(django_user_model, "view_jobs", staff=False).get(URL).status_code == 403


def test_without_a_token_setting_no_bearer_opens_the_metrics():
    with override_settings(SCALEJOBS={"METRICS": {"TOKEN": None}}):
        assert Client().get(URL, headers={"Authorization": "Bearer None"}).status_code == 403
        assert Client().get(URL, headers={"Authorization": "Bearer "}).status_code == 403


def test_a_post_is_not_allowed():
    assert Client().post(URL, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 405


def test_redis_away_answers_503_naming_redis(monkeypatch):
    def unreachable():
        raise redis.ConnectionError("Connection refused")

    monkeypatch.setattr("scalejobs.metrics.views.snapshot", unreachable)
    response = Client().get(URL, headers={"Authorization": f"Bearer {TOKEN}"})
    assert (response.status_code, response.content) == (503, b"Redis is unreachable: Connection refused\n")


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("scalejobs", "metrics", *args, stdout=out)
    return out.getvalue()


def test_the_command_prints_the_metrics_as_json_prometheus_and_emf(backlog):
    data = json.loads(run("--format", "json"))
    assert {queue["queue"]: queue["backlog"] for queue in data["queues"]}["default"] == 4
    assert data["fleet"] == {"workers": 0, "tasks": 0, "threads": 0, "busy_threads": 0, "utilization": 0.0, "backlog_per_task": 5.0}
    families = {family.name: family for family in text_string_to_metric_families(run("--format", "prometheus"))}
    assert {s.labels["queue"]: s.value for s in families["scalejobs_queue_backlog"].samples}["exports"] == 1
    documents = [json.loads(line) for line in run("--format", "emf").splitlines()]
    fleet = next(document for document in documents if "Queue" not in document)
    assert (fleet["BacklogPerTask"], fleet["_aws"]["CloudWatchMetrics"][0]["Namespace"]) == (5.0, "Scalejobs")
    assert {document["Queue"]: document["QueueBacklog"] for document in documents if "Queue" in document}["default"] == 4


@pytest.mark.parametrize(
    ("metrics", "message"),
    [
        ({"INTERVAL_SECONDS": 5}, "SCALEJOBS['METRICS']['INTERVAL_SECONDS']: expected a number of seconds >= 10, got 5."),
        ({"EMF": "yes"}, "SCALEJOBS['METRICS']['EMF']: expected True, False or \"auto\", got 'yes'."),
        ({"NAMESPACE": "AWS/ECS"}, "SCALEJOBS['METRICS']['NAMESPACE']: expected a namespace not starting with 'AWS/', got 'AWS/ECS'."),
        ({"TOKEN": "short"}, "SCALEJOBS['METRICS']['TOKEN']: expected a string of 16 characters or more, or None, got 'short'."),
        ({"DIMENSIONS": {"Service": 3}}, "SCALEJOBS['METRICS']['DIMENSIONS']: expected a dict of at most 29 non-empty strings, got {'Service': 3}."),
    ],
)
def test_a_bad_metrics_setting_fails_the_check_naming_it(metrics, message):
    from scalejobs.checks import check_all

    with override_settings(SCALEJOBS={"METRICS": metrics}):
        [error] = check_all()
    assert (error.id, error.msg) == ("scalejobs.E001", message)


def test_publishing_without_the_middleware_is_a_warning_and_put_metric_data_without_boto3_an_error(monkeypatch, settings):
    settings.DRAMATIQ_BROKER = {**settings.DRAMATIQ_BROKER, "MIDDLEWARE": ["dramatiq.middleware.Retries"]}
    with override_settings(SCALEJOBS={"METRICS": {"EMF": True}}):
        [warning] = check_metrics()
    assert (warning.id, warning.hint) == ("scalejobs.W901", "Use scalejobs.middleware.DEFAULT_STACK, or add 'scalejobs.middleware.Metrics' to it.")
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with override_settings(SCALEJOBS={"METRICS": {"PUT_METRIC_DATA": True}}):
        ids = [message.id for message in check_metrics()]
    assert ids == ["scalejobs.E901", "scalejobs.W901"]
