"""One pass of the leader's recovery of silent processes: deaths counted, messages back, slots freed."""

from __future__ import annotations

import pytest

from scalejobs.reliability import delivery_ledger, orphan_recovery
from scalejobs.reliability.deliveries import running_value
from scalejobs.reliability.runner import RecoveryThread
from scalejobs.reliability.runtime import _free_slots
from scalejobs.throttle import throttles
from scalejobs.throttle.engine import Claim
from tests.dramatiq_queues import Queues

SLOT = Claim(kind="concurrency", limit=1, period=120.0, scope="reports")


@pytest.fixture
def recovery(broker):
    found = orphan_recovery(broker)
    found._uptime = lambda: 3600.0
    return found


def thread(recovery, poisoned: list) -> RecoveryThread:
    # The election is never consulted: the test runs one pass itself, as the leader would.
    return RecoveryThread(
        recovery,
        election=None,  # type: ignore[arg-type]
        interval=15.0,
        queues=lambda: ["default"],
        ledger=delivery_ledger(),
        max_deaths=1,
        poisoned=poisoned.append,
        free_slots=_free_slots,
    )


def dead_process(recovery, redis_db, *, silent_for: float) -> tuple[Queues, list[dict]]:
    """Return a process that took two messages and a concurrency slot, and then went silent."""
    process = Queues(redis_db)
    process.send("a")
    process.send("b")
    taken = process.fetch("default", 2)
    assert throttles().acquire([SLOT], "holder-1", owner=process.broker.broker_id).admitted
    recovery.pulses.pulse(process.broker.broker_id, queues=["default"], stats_key=recovery.stats_key)
    silent_since = recovery.pulses.now() - int(silent_for * 1000)
    redis_db.zadd(recovery.pulses.pulses_key, {process.broker.broker_id: silent_since})
    return process, taken


def test_a_pass_puts_back_a_silent_processs_messages_dead_letters_its_poison_and_frees_its_slots(recovery, redis_db):
    process, (first, second) = dead_process(recovery, redis_db, silent_for=11.0)
    poison_id = first["options"]["redis_message_id"]
    # The message in `first` already killed a worker once; with MAX_DEATHS = 1 this death is one too many.
    delivery_ledger().track("earlier", [(poison_id, running_value(first["message_id"], "record", "default"))], [])
    delivery_ledger().bury("earlier")
    delivery_ledger().track(process.broker.broker_id, [(poison_id, running_value(first["message_id"], "record", "default"))], [])
    poisoned: list = []

    result = thread(recovery, poisoned).run_silent_pass()

    assert result.workers == (process.broker.broker_id,) and result.messages == 1
    assert redis_db.lrange("dramatiq:default", 0, -1) == [second["options"]["redis_message_id"].encode()]
    assert [death.message_id for death in poisoned] == [first["message_id"]]
    assert redis_db.zcard("dramatiq:default.XQ") == 1
    assert throttles().acquire([SLOT], "holder-2").admitted


def test_a_process_silent_less_than_the_silence_keeps_its_messages_and_its_slots(recovery, redis_db):
    process, _ = dead_process(recovery, redis_db, silent_for=5.0)

    result = thread(recovery, []).run_silent_pass()

    assert result.workers == () and redis_db.llen("dramatiq:default") == 0
    assert not throttles().acquire([SLOT], "holder-2").admitted
