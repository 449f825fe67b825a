"""ECSProtection reads each job's options once per actor and claims only protecting jobs."""

from __future__ import annotations

from types import SimpleNamespace

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import TimeLimit

from scalejobs.protection.handback import HandedBack, StandDown
from scalejobs.protection.middleware import ECSProtection


class Recorder:
    def __init__(self):
        self.claims, self.releases = [], []

    def claim(self, key, *, message_id, actor, time_limit):
        self.claims.append((message_id, actor, time_limit))
        return True

    def release(self, key, message_id):
        self.releases.append(message_id)


@pytest.fixture
def stub():
    broker = StubBroker(middleware=[TimeLimit(time_limit=90_000), ECSProtection()])
    middleware = broker.middleware[-1]
    middleware._default_limit = 90.0
    middleware.engine = Recorder()
    return broker, middleware


def message_of(actor, **options):
    return dramatiq.MessageProxy(actor.message_with_options(**options))


def test_jobs_protect_by_default_with_their_time_limit(stub):
    broker, middleware = stub
    plain = dramatiq.actor(lambda: None, actor_name="plain", broker=broker)
    limited = dramatiq.actor(lambda: None, actor_name="limited", broker=broker, time_limit=5_000)
    unlimited = dramatiq.actor(lambda: None, actor_name="unlimited", broker=broker, time_limit=float("inf"))
    for actor in (plain, limited, unlimited):
        message = message_of(actor)
        middleware.before_process_message(broker, message)
        middleware.after_process_message(broker, message)
    assert [(actor, limit) for _, actor, limit in middleware.engine.claims] == [("plain", 90.0), ("limited", 5.0), ("unlimited", None)]
    assert len(middleware.engine.releases) == 3


def test_protect_false_on_the_actor_or_the_message_takes_no_protection(stub):
    broker, middleware = stub
    free = dramatiq.actor(lambda: None, actor_name="free", broker=broker, protect=False)
    guarded = dramatiq.actor(lambda: None, actor_name="guarded", broker=broker)
    middleware.before_process_message(broker, message_of(free))
    middleware.before_process_message(broker, message_of(guarded, protect=False))
    middleware.before_process_message(broker, message_of(guarded))
    assert [actor for _, actor, _ in middleware.engine.claims] == ["guarded"]


def test_a_skipped_message_releases_without_having_claimed(stub):
    broker, middleware = stub
    actor = dramatiq.actor(lambda: None, actor_name="skipped", broker=broker)
    message = message_of(actor)
    middleware.after_skip_message(broker, message)
    assert middleware.engine.releases == [message.message_id]
    assert middleware.engine.claims == []


def test_protect_auto_protects_only_jobs_whose_time_limit_exceeds_the_drain_budget(stub):
    broker, middleware = stub
    middleware.budget = 25.0
    short = dramatiq.actor(lambda: None, actor_name="short", broker=broker, time_limit=20_000)
    long = dramatiq.actor(lambda: None, actor_name="long", broker=broker, time_limit=30_000)
    plain = dramatiq.actor(lambda: None, actor_name="plain", broker=broker)
    forced = dramatiq.actor(lambda: None, actor_name="forced", broker=broker, time_limit=20_000, protect=True)
    auto = dramatiq.actor(lambda: None, actor_name="auto", broker=broker, time_limit=20_000, protect="auto")
    for actor in (short, long, plain, forced, auto):
        middleware.before_process_message(broker, message_of(actor))
    middleware.before_process_message(broker, message_of(short, time_limit=60_000))
    assert [actor for _, actor, _ in middleware.engine.claims] == ["long", "plain", "forced", "short"]


class Refuser(Recorder):
    def claim(self, key, *, message_id, actor, time_limit):
        super().claim(key, message_id=message_id, actor=actor, time_limit=time_limit)
        return False


def test_a_refused_claim_sends_the_message_back_unchanged_and_stands_the_process_down(stub):
    broker, middleware = stub
    middleware.engine = Refuser()
    middleware.stand_down = StandDown(SimpleNamespace(workers=[], consumers={}), seconds=60)
    actor = dramatiq.actor(lambda: None, actor_name="long", broker=broker)
    message = message_of(actor, retries=2)
    with pytest.raises(HandedBack):
        middleware.before_process_message(broker, message)
    again = dramatiq.Message.decode(broker.queues["default"].get_nowait())
    assert (again.message_id, again.options["retries"]) == (message.message_id, 2)
    assert middleware.stand_down.active
    # Standing down, the process hands back the next message without asking ECS.
    other = message_of(actor)
    with pytest.raises(HandedBack):
        middleware.before_process_message(broker, other)
    assert len(middleware.engine.claims) == 1
    middleware.stand_down.stop()
