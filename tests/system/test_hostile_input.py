"""Hostile bytes and JSON in queues, delay queues and dead letters: nothing sticks, no page fails, jobs still run."""

from __future__ import annotations

import json
import uuid

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scalejobs.dashboard import engine
from scalejobs.pages import all_pages
from tests.conftest import wait_for
from tests.testapp.tasks import RECORD, record

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]

NS = "dramatiq"
FIELDS = ("queue_name", "actor_name", "args", "kwargs", "options", "message_id", "message_timestamp")

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
json_values = st.recursive(
    scalars, lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3), max_leaves=8
)
# An eta is a legitimate instruction to hold a message; a hostile far-future one is held, not stuck.
options = st.dictionaries(st.sampled_from(["retries", "max_retries", "redis_message_id", "traceback", "scalejobs_unique", "x"]), json_values)
message_like = st.fixed_dictionaries(
    {},
    optional={
        "queue_name": st.sampled_from(["default", "default.DQ", "other"]) | json_values,
        "actor_name": st.sampled_from(["record", "no_such_actor"]) | json_values,
        "args": st.lists(json_values, max_size=2) | json_values,
        "kwargs": st.dictionaries(st.sampled_from(["token", "payload", "scalejobs_sealed", "x"]), json_values) | json_values,
        "options": options | json_values,
        "message_id": st.uuids().map(str) | json_values,
        "message_timestamp": st.integers(min_value=0, max_value=2**41) | st.sampled_from([-(10**15), 10**20, 1e300]) | json_values,
    },
)
payloads = st.one_of(
    st.binary(max_size=64),
    json_values.map(lambda value: json.dumps(value).encode()),
    message_like.map(lambda value: json.dumps(value).encode()),
)
places = st.sampled_from(["ready", "delayed", "dead"])


def push(client, place: str, payload: bytes) -> None:
    """Write ``payload`` where Dramatiq keeps a message of ``default``, as a hostile writer could."""
    redis_id = str(uuid.uuid4())
    if place == "ready":
        client.hset(f"{NS}:default.msgs", redis_id, payload)
        client.rpush(f"{NS}:default", redis_id)
    elif place == "delayed":
        client.hset(f"{NS}:default.DQ.msgs", redis_id, payload)
        client.rpush(f"{NS}:default.DQ", redis_id)
    else:
        client.hset(f"{NS}:default.XQ.msgs", redis_id, payload)
        client.zadd(f"{NS}:default.XQ", {redis_id: 1_700_000_000_000})


def page_urls() -> list[str]:
    queue = reverse("admin:scalejobs_dashboard_queue", args=["default"])
    return [reverse(f"admin:scalejobs_{page.name}") for page in all_pages() if page.in_menu] + [
        queue,
        queue + "?state=delayed",
        reverse("admin:scalejobs_dashboard_dead_letters") + "?queue=default",
    ]


def assert_pages_answer(client, urls: list[str]) -> None:
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.content[:2000])


def test_hostile_payloads_are_dead_lettered_or_run_and_every_page_still_answers(admin_client, broker, redis_db, start_worker):
    worker = start_worker("--processes", "1", "--threads", "2")
    urls = page_urls()
    watched = [url for url in urls if "dead-letters" in url or "queues/default" in url]

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(place=places, payload=payloads)
    def push_and_look(place: str, payload: bytes) -> None:
        push(redis_db, place, payload)
        assert_pages_answer(admin_client, watched)

    push_and_look()

    def settled() -> bool:
        acks = [key for key in redis_db.scan_iter(match=f"{NS}:__acks__.*") if redis_db.scard(key)]
        return not acks and not redis_db.llen(f"{NS}:default") and not redis_db.llen(f"{NS}:default.DQ")

    try:
        wait_for(settled, timeout=60)
        record.send("canary")
        wait_for(lambda: any(entry.startswith(b"canary|") for entry in redis_db.lrange(RECORD, 0, -1)), timeout=60)
    except AssertionError as error:
        raise AssertionError(f"the worker said:\n{worker.output()[-20000:]}") from error
    assert_pages_answer(admin_client, urls)
    letters = engine().dead_letters
    assert len(letters.page("default", count=10_000).items) == letters.count("default") > 0
    assert "Dead-lettered message" in worker.output()
    assert "Consumer encountered an unexpected error" not in worker.output()
    assert "Left an undecodable message" not in worker.output()
