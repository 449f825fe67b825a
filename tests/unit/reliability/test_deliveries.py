"""Running deliveries per process, and deaths per message id, against a real Redis."""

from __future__ import annotations

import pytest

from scalejobs.testing.clock import FrozenClock
from scalejobs.keys import KeySpace
from scalejobs.reliability.deliveries import DeliveryLedger, running_value
from scalejobs.reliability.values import Death, Endangered, Poisoned

KEYS = KeySpace("test", "reliability")


@pytest.fixture
def clock():
    return FrozenClock(1_800_000_000.0)


@pytest.fixture
def ledger(redis_db, clock):
    return DeliveryLedger(redis_db, KEYS, clock=clock, ttl_seconds=3600, history=2)


def test_a_dead_process_s_running_deliveries_become_one_death_each(ledger):
    ledger.track("w1", [("r1", running_value("m1", "export", "default")), ("r2", running_value("m2", "mail", "emails"))], [])
    assert ledger.processes() == ["w1"]

    deaths = ledger.bury("w1")

    assert sorted(deaths, key=lambda death: death.message_id) == [
        Death(redis_id="r1", message_id="m1", actor="export", queue="default", deaths=1),
        Death(redis_id="r2", message_id="m2", actor="mail", queue="emails", deaths=1),
    ]
    assert ledger.processes() == []
    assert ledger.bury("w1") == []


def test_ended_deliveries_are_not_deaths(ledger):
    ledger.track("w1", [("r1", running_value("m1", "export", "default"))], [])
    ledger.track("w1", [], ["r1"])
    assert ledger.bury("w1") == []


def test_deaths_of_one_message_add_up_across_processes(ledger):
    for process in ("w1", "w2", "w3"):
        ledger.track(process, [("r1", running_value("m1", "export", "default"))], [])
        (death,) = ledger.bury(process)
    assert death.deaths == 3
    assert ledger.endangered() == [Endangered(message_id="m1", deaths=3)]
    assert ledger.poison(2) == {"m1": 3}
    assert ledger.poison(3) == {}


def test_a_forgotten_message_starts_afresh(ledger):
    ledger.track("w1", [("r1", running_value("m1", "export", "default"))], [])
    ledger.bury("w1")
    ledger.forget("m1")
    assert ledger.endangered() == [] and ledger.poison(0) == {}


def test_death_counts_expire_after_the_ttl(ledger, clock):
    ledger.track("w1", [("r1", running_value("old", "export", "default"))], [])
    ledger.bury("w1")
    clock.advance(3601)
    ledger.track("w2", [("r2", running_value("new", "export", "default"))], [])
    ledger.bury("w2")
    assert ledger.endangered() == [Endangered(message_id="new", deaths=1)]


def test_poisoned_messages_are_kept_newest_first_and_counted(ledger):
    for number in range(3):
        ledger.record_poisoned(Poisoned(message_id=f"m{number}", actor="boom", queue="default", deaths=4, at=1_700_000_000.0 + number))
    assert [poisoned.message_id for poisoned in ledger.poisoned()] == ["m2", "m1"]
    assert ledger.poisoned_count() == 3
