"""Encrypted arguments end to end: Redis never holds them in clear, real workers still run the jobs."""

from __future__ import annotations

import json

import pytest
import redis
from django.test import override_settings

import scalejobs
from scalejobs.dashboard import engine
from tests.conftest import wait_for
from tests.testapp.encryption_tasks import (
    SEALED_RAN,
    sealed_failing,
    sealed_flaky,
    sealed_record,
    sealed_task,
    sealed_throttled,
    sealed_unique,
)

pytestmark = pytest.mark.system

SECRET = "s3cr3t-Ada-IBAN-DE89"
RESET_LINK = "https://shop.example.com/reset/MQ-RESET-TOKEN-7f3a"
VICTIM = "victim.admin@example.com"


def redis_dump(client: redis.Redis) -> bytes:
    """Return every key and every value in the database, whatever its type."""
    parts: list[bytes] = []
    for key in client.scan_iter(count=1000):
        parts.append(key)
        kind = client.type(key)
        if kind == b"string":
            parts.append(client.get(key) or b"")
        elif kind == b"list":
            parts.extend(client.lrange(key, 0, -1))
        elif kind == b"hash":
            for field, value in client.hgetall(key).items():
                parts += [field, value]
        elif kind == b"set":
            parts.extend(client.smembers(key))
        elif kind == b"zset":
            parts.extend(member for member, _ in client.zrange(key, 0, -1, withscores=True))
        elif kind == b"stream":
            parts.extend(json.dumps([[i.decode(), {k.decode(): v.decode() for k, v in f.items()}] for i, f in client.xrange(key)]).encode())
    return b"\n".join(parts)


def ran(client: redis.Redis) -> list[dict]:
    return [json.loads(entry) for entry in client.lrange(SEALED_RAN, 0, -1)]


def assert_nothing_in_clear(client: redis.Redis) -> None:
    dump = redis_dump(client)
    for clear in (SECRET, RESET_LINK, VICTIM, "Password reset"):
        assert clear.encode() not in dump, f"Redis holds {clear!r} in clear"


def test_redis_holds_no_secret_argument_or_email_and_workers_still_run_them(broker, redis_db, start_worker, smtp_server):
    port, inbox = smtp_server
    sealed_record.perform_later(SECRET, note=f"note {SECRET}")
    sealed_record.perform_in(0.2, f"delayed {SECRET}")
    sealed_record.perform_bulk([(f"bulk {SECRET}",), (f"bulk2 {SECRET}",)])
    sealed_flaky.perform_later(f"retried {SECRET}")
    sealed_unique.perform_later(f"unique {SECRET}")
    assert sealed_unique.perform_later(f"unique {SECRET}") is None, "the keyed digest still finds the duplicate"
    sealed_throttled.perform_later(SECRET)
    failing = sealed_failing.perform_later(f"failing {SECRET}")
    scalejobs.send_mail_later("Password reset", f"Reset your password: {RESET_LINK}", "shop@example.com", [VICTIM])
    assert_nothing_in_clear(redis_db)

    worker = start_worker("--processes", "1", "--threads", "2", env={"SCALEJOBS_TEST_SMTP_PORT": str(port)})
    try:
        wait_for(
            lambda: len(ran(redis_db)) == 7 and inbox.envelopes and any(d.failure for d in engine().dead_letters.page("default").items),
            timeout=60,
        )
    except AssertionError as error:
        raise AssertionError(f"ran {ran(redis_db)}; the worker said:\n{worker.output()}") from error

    assert sorted((entry["job"], entry["args"][0]) for entry in ran(redis_db)) == sorted(
        [
            ("sealed_record", SECRET),
            ("sealed_record", f"delayed {SECRET}"),
            ("sealed_record", f"bulk {SECRET}"),
            ("sealed_record", f"bulk2 {SECRET}"),
            ("sealed_flaky", f"retried {SECRET}"),
            ("sealed_unique", f"unique {SECRET}"),
            ("sealed_throttled", SECRET),
        ]
    )
    assert {"job": "sealed_record", "args": [SECRET], "kwargs": {"note": f"note {SECRET}"}} in ran(redis_db)
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == [VICTIM]
    assert RESET_LINK.encode() in envelope.content
    [letter] = engine().dead_letters.page("default").items
    assert letter.message.message_id == failing.message_id
    assert letter.error == "ValueError: (message hidden: the job's arguments are encrypted)"
    assert "sealed_failing" in letter.traceback
    redis_db.delete(SEALED_RAN)
    assert_nothing_in_clear(redis_db)
    assert "Failed to process message sealed_failing(<encrypted>) with unhandled exception" in worker.output()
    assert SECRET not in worker.output()


def test_a_job_sealed_under_the_old_key_runs_after_rotation_and_an_unknown_key_is_dead_lettered(broker, redis_db, start_worker):
    with override_settings(SCALEJOBS={"ENCRYPTION": {"KEYS": ["old-key-" + "x" * 40]}}):
        sealed_record.perform_later("sealed under the old key")
    with override_settings(SCALEJOBS={"ENCRYPTION": {"KEYS": ["lost-key-" + "y" * 40]}}):
        lost = sealed_record.perform_later("sealed under a key nobody has")
    rotated = json.dumps({"ENCRYPTION": {"KEYS": ["new-key-" + "z" * 40, "old-key-" + "x" * 40]}})
    worker = start_worker("--processes", "1", "--threads", "1", env={"SCALEJOBS_TEST_OVERRIDES": rotated})
    dead = engine().dead_letters
    try:
        # The failure is recorded just after the nack that dead-letters the message.
        wait_for(lambda: ran(redis_db) and dead.count("default") == 1 and dead.page("default").items[0].failure, timeout=60)
    except AssertionError as error:
        raise AssertionError(f"ran {ran(redis_db)}; the worker said:\n{worker.output()}") from error

    assert [entry["args"] for entry in ran(redis_db)] == [["sealed under the old key"]]
    [letter] = dead.page("default").items
    assert letter.message.message_id == lost.message_id
    assert letter.message.retries == 0
    assert letter.error.startswith("scalejobs.errors.UndecryptableArguments: sealed_record: no key in SCALEJOBS['ENCRYPTION']['KEYS']")


def test_an_encrypted_django_task_runs_and_redis_holds_neither_its_arguments_nor_its_result_record_in_clear(broker, redis_db, start_worker):
    result = sealed_task.enqueue(SECRET)
    assert sealed_task.enqueue(SECRET).id == result.id, "the keyed unique digest still finds the duplicate"
    assert_nothing_in_clear(redis_db)
    worker = start_worker("--processes", "1", "--threads", "1")
    try:
        wait_for(lambda: sealed_task.get_backend().get_result(result.id).status.name == "SUCCESSFUL", timeout=60)
    except AssertionError as error:
        raise AssertionError(f"the worker said:\n{worker.output()}") from error

    finished = sealed_task.get_backend().get_result(result.id)
    assert (finished.args, finished.kwargs, finished.return_value) == ([SECRET], {}, f"done {len(SECRET)}")
    assert ran(redis_db) == [{"job": "sealed_task", "args": [SECRET], "kwargs": {}}]
    redis_db.delete(SEALED_RAN)
    assert_nothing_in_clear(redis_db)


def test_orphan_recovery_puts_a_dead_workers_sealed_job_back_and_it_runs(broker, redis_db, start_worker):
    from scalejobs.keys import KeySpace
    from scalejobs.reliability.recovery import OrphanRecovery

    message = sealed_record.perform_later(f"orphaned {SECRET}")
    dead_broker = "dead-worker-broker-id"
    # A worker that fetched the message and died: the id sits in its ack set, its heartbeat is stale.
    redis_db.lrem("dramatiq:default", 0, message.options["redis_message_id"])
    redis_db.sadd(f"dramatiq:__acks__.{dead_broker}.default", message.options["redis_message_id"])
    redis_db.zadd("dramatiq:__heartbeats__", {dead_broker: 1})
    # The embedded Redis just started: tell recovery it has been up long enough to trust heartbeats.
    recovery = OrphanRecovery(
        redis_db, KeySpace("test", "reliability"), namespace="dramatiq", heartbeat_timeout_ms=60_000, redis_uptime=lambda: 3600.0
    )
    assert recovery.run(["default"]).dead_workers == 1
    assert_nothing_in_clear(redis_db)

    worker = start_worker("--processes", "1", "--threads", "1")
    try:
        wait_for(lambda: ran(redis_db), timeout=60)
    except AssertionError as error:
        raise AssertionError(f"the worker said:\n{worker.output()}") from error
    assert ran(redis_db) == [{"job": "sealed_record", "args": [f"orphaned {SECRET}"], "kwargs": {"note": ""}}]
