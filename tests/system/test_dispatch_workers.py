"""Push dispatch in real rundramatiq workers: every job runs once, alone and in a mixed fleet.

The mixed fleet is a rolling deploy: an old worker on Dramatiq's own broker
and new ones on ``scalejobs.dispatch.RedisBroker``, fed by producers of both
kinds, while the old worker and then a new one are stopped mid-stream. The
old worker runs with a prefetch of 1: Dramatiq's own consumer keeps the
rest of a fetched batch unacked on a graceful stop until its heartbeat
expires (60 s), a flaw of plain Dramatiq that the push consumer does not have.
"""

from __future__ import annotations

import os
import random
from collections import Counter

import pytest
from dramatiq.brokers.redis import RedisBroker as PlainBroker

from tests.conftest import wait_for
from tests.testapp.dispatch_tasks import DISPATCH_QUEUE, DISPATCH_RAN, dispatch_record

pytestmark = pytest.mark.system

PUSH = "scalejobs.dispatch.broker"
PLAIN = "dramatiq.brokers.redis"
OLD_WORKER = {
    "DJANGO_SETTINGS_MODULE": "tests.system.plain_broker_settings",
    "dramatiq_queue_prefetch": "1",
    "dramatiq_delay_queue_prefetch": "1",
}


def runs(redis_db) -> list[tuple[str, int, str]]:
    """Return (token, start ms, broker module) for every run so far."""
    entries = [entry.decode().split("|") for entry in redis_db.lrange(DISPATCH_RAN, 0, -1)]
    return [(token, int(started), broker) for token, started, _pid, broker in entries]


def settled(redis_db) -> bool:
    """Whether every message was acked: no payload and no fetched id is left anywhere."""
    payloads = redis_db.hlen(f"dramatiq:{DISPATCH_QUEUE}.msgs") + redis_db.hlen(f"dramatiq:{DISPATCH_QUEUE}.DQ.msgs")
    unacked = sum(redis_db.scard(key) for key in redis_db.scan_iter(match="dramatiq:__acks__.*"))
    return payloads == 0 and unacked == 0


class Producers:
    """Send jobs alternately through the push broker and a plain Dramatiq one; remember each eta."""

    def __init__(self, seconds: float) -> None:
        self.plain = PlainBroker(url=os.environ["REDIS_URL"], middleware=[])
        self.seconds = seconds
        self.sent: list[str] = []
        self.etas: dict[str, int] = {}

    def send(self, count: int, *, delayed_every: int = 5) -> None:
        for _ in range(count):
            token = f"job-{len(self.sent)}"
            delay = random.randint(200, 1500) if len(self.sent) % delayed_every == 0 else None
            if len(self.sent) % 2:
                sent = self.plain.enqueue(dispatch_record.message(token, self.seconds), delay=delay)
            else:
                sent = dispatch_record.send_with_options(args=(token, self.seconds), delay=delay)
            self.sent.append(token)
            if delay is not None:
                self.etas[token] = sent.options["eta"]

    def assert_each_ran_once_and_none_early(self, redis_db) -> None:
        done = runs(redis_db)
        assert Counter(token for token, _, _ in done) == Counter(self.sent)
        early = [(token, started, self.etas[token]) for token, started, _ in done if started < self.etas.get(token, 0)]
        assert early == []


def test_every_job_runs_exactly_once_and_no_delayed_job_runs_early(broker, redis_db, start_worker):
    start_worker("--processes", "2", "--threads", "4", "--queues", DISPATCH_QUEUE)
    producers = Producers(seconds=0)

    producers.send(200)

    wait_for(lambda: len(runs(redis_db)) >= 200 and settled(redis_db), timeout=60)
    producers.assert_each_ran_once_and_none_early(redis_db)
    assert {kind for _, _, kind in runs(redis_db)} == {PUSH}


def test_a_rolling_deploy_between_plain_and_push_workers_loses_and_repeats_nothing(broker, redis_db, start_worker):
    old = start_worker("--processes", "1", "--threads", "4", "--queues", DISPATCH_QUEUE, env=OLD_WORKER)
    first_new = start_worker("--processes", "1", "--threads", "4", "--queues", DISPATCH_QUEUE)
    producers = Producers(seconds=0.01)

    producers.send(200)
    wait_for(lambda: {PLAIN, PUSH} <= {kind for _, _, kind in runs(redis_db)} and len(runs(redis_db)) >= 60, timeout=60)
    assert old.stop() == 0
    second_new = start_worker("--processes", "1", "--threads", "4", "--queues", DISPATCH_QUEUE)
    producers.send(200)
    wait_for(lambda: len(runs(redis_db)) >= 300, timeout=60)
    assert first_new.stop() == 0, "a push worker must stop gracefully while its consumers wait for wake-ups"

    try:
        wait_for(lambda: len(runs(redis_db)) >= 400 and settled(redis_db), timeout=60)
    except AssertionError as error:
        raise AssertionError(explain(redis_db, producers, [old, first_new, second_new])) from error
    producers.assert_each_ran_once_and_none_early(redis_db)


def explain(redis_db, producers: Producers, workers) -> str:
    """Describe what is missing and where it sits, with the tail of each worker's log."""
    done = Counter(token for token, _, _ in runs(redis_db))
    lines = [f"{len(done)} of {len(producers.sent)} ran; missing {[t for t in producers.sent if t not in done][:10]}"]
    for key in sorted(redis_db.scan_iter(match="dramatiq:*")):
        kind = redis_db.type(key).decode()
        size = {"list": redis_db.llen, "hash": redis_db.hlen, "set": redis_db.scard, "zset": redis_db.zcard}[kind](key)
        lines.append(f"{key.decode()} ({kind}): {size}")
    for worker in workers:
        lines.append(f"worker exit {worker.process.returncode}: {worker.output()[-1500:]}")
    return "\n".join(lines)
