"""Corrupt entries and foreign keys in Redis: listed as such, deletable, and never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from scalejobs.dashboard import engine
from tests.dramatiq_queues import Queues

pytestmark = [pytest.mark.django_db]

DEAD = reverse("admin:scalejobs_dashboard_dead_letters") + "?queue=default"


@pytest.fixture
def corrupt_letters(redis_db):
    """One readable dead letter, one that is not JSON, one that is a JSON list, one whose payload is gone."""
    queues = Queues(redis_db)
    good = queues.send("fine")
    queues.kill()
    for redis_id, payload in (("not-json", b"\xff{oops"), ("a-list", b"[1, 2]"), ("gone", None)):
        if payload is not None:
            redis_db.hset("dramatiq:default.XQ.msgs", redis_id, payload)
        redis_db.zadd("dramatiq:default.XQ", {redis_id: 1_700_000_000_000})
    redis_db.hset("dramatiq:default.XQ.msgs", "huge-numbers", b'{"actor_name": "x", "message_timestamp": 1e999, "options": {"retries": 1e308, "eta": 10e400}}')
    redis_db.zadd("dramatiq:default.XQ", {"huge-numbers": 1e300})
    redis_db.hset("dramatiq:default.XQ.msgs", "negative", b'{"actor_name": "x", "message_timestamp": -1e15, "options": {"scalejobs_enqueued_at": -1e13}}')
    redis_db.zadd("dramatiq:default.XQ", {"negative": -1e15})
    return good.options["redis_message_id"]


def test_every_dead_letter_is_listed_and_corrupt_ones_say_why(admin_client, corrupt_letters):
    html = admin_client.get(DEAD).content.decode()

    assert "6 dead letters in default" in html
    assert html.count('<tr data-message-id=') == 6
    assert "undecodable: not JSON" in html and "undecodable: a JSON list, not an object" in html and "its payload is missing" in html


def test_retrying_every_selected_letter_moves_the_readable_one_and_keeps_the_corrupt_ones(admin_client, corrupt_letters):
    ids = [corrupt_letters, "not-json", "a-list", "gone"]
    response = admin_client.post(reverse("admin:scalejobs_dashboard_retry_dead_letters"), {"queue": "default", "scope": "selected", "id": ids})

    assert response.status_code == 302
    assert engine().queues.ready("default").total == 1
    assert engine().dead_letters.count("default") == 5


def test_retry_all_then_delete_all_empties_the_dead_letters(admin_client, corrupt_letters):
    for action in ("retry", "delete"):
        response = admin_client.post(reverse(f"admin:scalejobs_dashboard_{action}_dead_letters"), {"queue": "default", "scope": "matching"})
        assert response.status_code == 302

    assert engine().dead_letters.count("default") == 0
    assert not admin_client.get(DEAD).content.decode().count("<tr data-message-id=")


def test_a_key_of_the_wrong_type_gives_an_error_page_naming_it(admin_client, redis_db):
    redis_db.set("dramatiq:default.msgs", "written by something else")

    for url in (reverse("admin:scalejobs_dashboard"), reverse("admin:scalejobs_dashboard_queues"), DEAD):
        response = admin_client.get(url)
        html = response.content.decode()
        assert response.status_code == 503, url
        assert "The key <code>dramatiq:default.msgs</code> holds a string, where Dramatiq keeps a hash." in html, url


def test_corrupt_ready_and_delayed_messages_are_listed_and_cannot_be_promoted(admin_client, redis_db):
    redis_db.hset("dramatiq:default.msgs", "r1", b"\x00garbage")
    redis_db.rpush("dramatiq:default", "r1")
    redis_db.hset("dramatiq:default.DQ.msgs", "d1", b'"just a string"')
    redis_db.rpush("dramatiq:default.DQ", "d1")
    queue = reverse("admin:scalejobs_dashboard_queue", args=["default"])

    assert "undecodable: not JSON" in admin_client.get(queue).content.decode()
    assert "undecodable: a JSON str, not an object" in admin_client.get(queue + "?state=delayed").content.decode()
    response = admin_client.post(reverse("admin:scalejobs_dashboard_enqueue_now", args=["default"]), {"id": "d1"})
    assert response.status_code == 302
    assert redis_db.hexists("dramatiq:default.DQ.msgs", "d1") and redis_db.lrange("dramatiq:default", 0, -1) == [b"r1"]
    response = admin_client.post(reverse("admin:scalejobs_dashboard_delete_message", args=["default"]), {"id": "d1", "state": "delayed"})
    assert response.status_code == 302
    assert not redis_db.hexists("dramatiq:default.DQ.msgs", "d1")
