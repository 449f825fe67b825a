"""Enqueue while Redis is away: a clear scalejobs error after a bounded wait, on both Redis brokers."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import dramatiq
import pytest
import redis
from dramatiq.brokers.redis import RedisBroker as PlainBroker

import scalejobs
from scalejobs.dispatch import RedisBroker as PushBroker
from scalejobs.jobs.enqueue import enqueue

BROKERS = [PushBroker, PlainBroker]


def noop() -> None:
    """A job that never runs: its broker cannot be reached."""


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accept connections and never answer, like a Redis stuck in a long command or a half-open network."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0?socket_connect_timeout=1&socket_timeout=1"
    listener.close()


def actor_on(broker: dramatiq.Broker) -> dramatiq.Actor:
    return dramatiq.Actor(noop, broker=broker, actor_name="noop", queue_name="default", priority=0, options={})


@pytest.mark.parametrize("broker_class", BROKERS)
def test_enqueue_to_a_stopped_redis_raises_broker_unavailable_with_the_cause_chained(broker_class):
    broker = broker_class(url="unix:///nonexistent/scalejobs-redis.sock", middleware=[])
    with pytest.raises(scalejobs.BrokerUnavailable, match=r"^noop: not sent, Redis is unreachable: Error 2 connecting") as raised:
        enqueue(actor_on(broker), on_commit=False)
    assert isinstance(raised.value.__cause__, redis.ConnectionError)
    assert isinstance(raised.value, redis.ConnectionError)  # handlers written for the raw error still catch it


@pytest.mark.parametrize("broker_class", BROKERS)
def test_enqueue_to_a_redis_that_never_answers_gives_up_at_the_socket_timeout(broker_class, silent_server):
    broker = broker_class(url=silent_server, middleware=[])
    with pytest.raises(scalejobs.BrokerUnavailable, match=r"^noop: not sent, Redis is unreachable: Timeout") as raised:
        enqueue(actor_on(broker), on_commit=False)
    assert isinstance(raised.value.__cause__, redis.TimeoutError)


def test_the_example_settings_bound_the_brokers_waits():
    kwargs = dramatiq.get_broker().client.connection_pool.connection_kwargs
    assert (kwargs["socket_connect_timeout"], kwargs["socket_timeout"]) == (2.0, 5.0)
